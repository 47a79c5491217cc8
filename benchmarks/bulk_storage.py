"""Bulk qualification with storage, measured from outside, on SQLite and PostgreSQL.

1. `leadbot qualify leads.jsonl --format json --model offline` on 20,000 generated leads
   (benchmarks/throughput.py's mix), storing into a fresh database: a subprocess, so process
   start, reading, worker processes, storage and output all count. `--no-store` beside it,
   and a one-lead run for what starting costs.
2. Storage alone, in-process: the same leads already qualified, as the worker processes hand
   them back (serialised), stored as the command stores them (`bot.services.bulk`: batches
   of 1,000 leads, each new lead in its final status with its qualification and one event,
   one transaction and at most one dedupe lookup each).
3. 200 leads through `leadbot qualify --model openai:gpt-4o-mini` against the local
   OpenAI stand-in answering every call after 500 ms, LEADBOT_MODEL_CONCURRENCY=8, with
   storage; then the same command again, answered from the extraction cache.

Wall time is the figure judged; CPU seconds (this process or the command and its workers)
are printed beside it, because the machine is shared and wall time varies with its load.
What the run costs beyond extraction (its CPU seconds less the extraction's, measured here
on one core) is printed too, with the rate the run would reach on every core of an
otherwise idle machine at --extraction-us per lead of extraction: storage, worker
processes, (de)serialisation and JSON I/O are the part of the figure this bounds.

    python benchmarks/bulk_storage.py [--leads N] [--postgres postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCHMARKS))
sys.path.insert(0, str(BENCHMARKS.parent / "tests"))

from fakes.openai_api import FakeOpenAI  # noqa: E402
from harness import children_cpu, fresh_database, qualify_environment  # noqa: E402
from llm_throughput import answer_from_lead  # noqa: E402
from throughput import generate_leads  # noqa: E402

from bot.intake.files import parse_leads  # noqa: E402
from bot.services.bulk import BATCH_SIZE, store_qualified  # noqa: E402
from bot.store.database import Database  # noqa: E402
from bot.store.unit_of_work import UnitOfWork  # noqa: E402
from qualifiers.bulk import OrderedQualifier  # noqa: E402
from qualifiers.extract.offline import OfflineExtractor  # noqa: E402
from qualifiers.qualifier import Qualifier  # noqa: E402
from qualifiers.rubric import load_rubric  # noqa: E402

LEADBOT = Path(sys.executable).with_name("leadbot")
TARGET_QUALIFY = 5_000  # leads/s, with storage, end to end
TARGET_STORAGE = 50_000  # leads/s
TARGET_LLM_SECONDS = 13.5
TARGET_CACHED_SECONDS = 2.0


def verdict(met: bool) -> str:
    return "meets" if met else "MISSES"


def run_leadbot(args: list[str], env: dict[str, str], output: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one `leadbot` run, process start included."""
    cpu = children_cpu()
    started = time.perf_counter()
    with output.open("w", encoding="utf-8") as out:
        result = subprocess.run(
            [str(LEADBOT), *args], stdout=out, stderr=subprocess.PIPE, env=env, check=False
        )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"leadbot {' '.join(args)} failed ({result.returncode}): {result.stderr[-2000:]}")
    return elapsed, children_cpu() - cpu


# `leadbot` as its console script runs it, then its own CPU seconds and its workers'.
LEADBOT_CPU_SPLIT = """
import os, resource, sys
from bot.cli import main
sys.argv = ["leadbot", *sys.argv[1:]]
code = main()
sys.stdout.flush()
own, workers = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
with open(os.environ["BENCH_CPU_FILE"], "w") as out:
    out.write(f"{own.ru_utime + own.ru_stime} {workers.ru_utime + workers.ru_stime}")
sys.exit(code)
"""


def run_leadbot_split(args: list[str], env: dict[str, str], output: Path) -> dict:
    """`run_leadbot`, with the CPU seconds of the command's own process (start, reading,
    storage, output) apart from its worker processes' (extraction)."""
    split_file = output.with_suffix(".cpu")
    env = env | {"BENCH_CPU_FILE": str(split_file)}
    started = time.perf_counter()
    with output.open("w", encoding="utf-8") as out:
        result = subprocess.run(
            [sys.executable, "-c", LEADBOT_CPU_SPLIT, *args],
            stdout=out,
            stderr=subprocess.PIPE,
            env=env,
            check=False,
        )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"leadbot {' '.join(args)} failed ({result.returncode}): {result.stderr[-2000:]}")
    own, workers = map(float, split_file.read_text().split())
    return {"wall": elapsed, "own": own, "workers": workers, "cpu": own + workers}


def bench_qualify(backend, scratch, postgres, leads_file: Path, count: int) -> dict:
    out = scratch / "qualified.jsonl"
    with fresh_database(backend, scratch, postgres) as url:
        args = ["qualify", str(leads_file), "--format", "json", "--model", "offline"]
        figures = run_leadbot_split(args, qualify_environment(url), out)
    lines = out.read_text(encoding="utf-8").count("\n")
    if lines != count:
        sys.exit(f"expected {count} output lines, got {lines}")
    return figures | {"rate": count / figures["wall"]}


def qualified_leads(leads_file: Path) -> tuple[list, list, float]:
    """The file's leads, their qualifications as worker processes hand them back, and the
    extraction's CPU microseconds per lead on one core (this process, no workers)."""
    entries = parse_leads(leads_file.read_bytes(), leads_file.name)
    leads = [entry.lead for entry in entries]
    rubric = load_rubric()
    qualifier = Qualifier(OfflineExtractor())
    sample = leads[:2000]
    qualifier.qualify_many(sample[:10], rubric)  # warm-up: the rubric's patterns
    cpu = time.process_time()
    qualifier.qualify_many(sample, rubric)
    extraction_us = (time.process_time() - cpu) / len(sample) * 1e6
    with OrderedQualifier(qualifier, rubric, processes=os.cpu_count(), leads=leads) as run:
        parts = [
            run.submit_at(range(i, min(i + BATCH_SIZE, len(leads))))
            for i in range(0, len(leads), BATCH_SIZE)
        ]
        qualifications = [q for part in parts for q in part.result()]
    return leads, qualifications, extraction_us


def bench_storage(backend, scratch, postgres, leads: list, qualifications: list) -> dict:
    with fresh_database(backend, scratch, postgres) as url:
        database = Database.from_url(url)
        uow = UnitOfWork(database)
        cpu, started = time.process_time(), time.perf_counter()
        for start in range(0, len(leads), BATCH_SIZE):
            batch = slice(start, start + BATCH_SIZE)
            store_qualified(uow, leads[batch], qualifications[batch])
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        database.engine.dispose()
    return {"wall": wall, "cpu": cpu, "rate": len(leads) / wall}


def projected_rate(count: int, figures: dict, start: dict, measured_us: float, us: float):
    """Leads/s of the run of `figures` on every core of an idle machine with extraction
    costing `us` instead of `measured_us` a lead: starting (`start`, a one-lead run) on one
    core, then the command's own work and its workers' spread over every core."""
    workers_beyond = max(0.0, figures["workers"] - count * measured_us / 1e6)
    rest = figures["own"] - start["own"] + workers_beyond + count * us / 1e6
    return count / (start["own"] + rest / (os.cpu_count() or 1))


def bench_llm(backend, scratch, postgres, count: int, delay: float) -> dict:
    leads_file = scratch / "llm-leads.jsonl"
    leads_file.write_text(
        "".join(
            json.dumps({"text": f"Lead {n}: we are a team of {10 + n} people, need AP help."})
            + "\n"
            for n in range(count)
        )
    )
    out = scratch / "llm-qualified.jsonl"
    with (
        FakeOpenAI(responder=answer_from_lead, delay=delay) as fake,
        fresh_database(backend, scratch, postgres) as url,
    ):
        env = qualify_environment(
            url,
            OPENAI_API_KEY="benchmark",
            OPENAI_BASE_URL=fake.url + "/v1",
            LEADBOT_MODEL_CONCURRENCY="8",
            LEADBOT_MODEL_MAX_RETRIES="0",
        )
        args = ["qualify", str(leads_file), "--format", "json", "--model", "openai:gpt-4o-mini"]
        first, _ = run_leadbot(args, env, out)
        calls = len(fake.requests)
        sizes = [json.loads(line)["criteria"][-1]["value"] for line in out.open()]
        cached, _ = run_leadbot(args, env, out)
        cached_calls = len(fake.requests) - calls
    in_order = sizes == [10 + n for n in range(count)]
    return {
        "first": first,
        "cached": cached,
        "calls": calls,
        "cached_calls": cached_calls,
        "in_order": in_order,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--llm-leads", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.5)
    parser.add_argument("--postgres", metavar="URL", help="also measure on this PostgreSQL")
    parser.add_argument(
        "--extraction-us",
        type=float,
        default=300.0,
        help="extraction cost per lead and core for the projection (default 300)",
    )
    options = parser.parse_args()
    backends = ["sqlite"] + (["postgresql"] if options.postgres else [])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{os.cpu_count()} CPUs, load average {load:.1f} at the start")
    ok = True
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        leads_file = scratch / "leads.jsonl"
        leads_file.write_text(
            "".join(json.dumps(lead) + "\n" for lead in generate_leads(options.leads, 7))
        )
        leads, qualifications, extraction_us = qualified_leads(leads_file)
        print(f"offline extraction here: {extraction_us:,.0f} µs CPU per lead on one core")
        one_lead = scratch / "one.jsonl"
        one_lead.write_text(json.dumps({"text": "CFO, budget $80k"}) + "\n")
        dry_out = scratch / "dry.jsonl"
        dry_args = ["qualify", str(leads_file), "--format", "json", "--model", "offline"]
        wall, cpu = run_leadbot(
            [*dry_args, "--no-store"], qualify_environment("sqlite://"), dry_out
        )
        print(
            f"qualify --no-store, {options.leads:,} leads: {options.leads / wall:,.0f} leads/s "
            f"({wall:.2f} s wall, {cpu:.2f} s CPU)"
        )
        for backend in backends:
            start = bench_qualify(backend, scratch, options.postgres, one_lead, 1)
            figures = bench_qualify(backend, scratch, options.postgres, leads_file, options.leads)
            met = figures["rate"] >= TARGET_QUALIFY
            ok &= met
            print(
                f"[{backend}] qualify with storage, {options.leads:,} leads: "
                f"{figures['rate']:,.0f} leads/s ({figures['wall']:.2f} s wall, "
                f"{figures['cpu']:.2f} s CPU): {verdict(met)} >= {TARGET_QUALIFY:,}/s"
            )
            per_lead = figures["workers"] / options.leads * 1e6
            count = options.leads
            at_measured = projected_rate(count, figures, start, extraction_us, extraction_us)
            at_target = projected_rate(count, figures, start, extraction_us, options.extraction_us)
            print(
                f"[{backend}]   CPU: the command's own process {figures['own']:.2f} s (starting "
                f"alone, a one-lead run: {start['own']:.2f} s), its workers "
                f"{figures['workers']:.2f} s ({per_lead:,.0f} µs a lead); on "
                f"{os.cpu_count()} idle cores that is "
                f"{at_measured:,.0f} leads/s, and {at_target:,.0f} leads/s at "
                f"{options.extraction_us:.0f} µs of extraction a lead"
            )
            figures = bench_storage(backend, scratch, options.postgres, leads, qualifications)
            met = figures["rate"] >= TARGET_STORAGE
            ok &= met
            print(
                f"[{backend}] storage alone: {figures['rate']:,.0f} leads/s "
                f"({figures['wall']:.2f} s wall, {figures['cpu']:.2f} s CPU, "
                f"{options.leads / figures['cpu']:,.0f} leads per CPU second): "
                f"{verdict(met)} >= {TARGET_STORAGE:,}/s"
            )
            llm = bench_llm(backend, scratch, options.postgres, options.llm_leads, options.delay)
            met = llm["first"] <= TARGET_LLM_SECONDS and llm["in_order"]
            met &= llm["calls"] == options.llm_leads
            ok &= met
            print(
                f"[{backend}] {options.llm_leads} LLM leads ({options.delay * 1000:.0f} ms a "
                f"call, concurrency 8), process start included: {llm['first']:.2f} s, "
                f"{llm['calls']} calls, in order: {llm['in_order']}: "
                f"{verdict(met)} <= {TARGET_LLM_SECONDS} s"
            )
            met = llm["cached"] <= TARGET_CACHED_SECONDS and llm["cached_calls"] == 0
            ok &= met
            print(
                f"[{backend}] cached rerun, process start included: {llm['cached']:.2f} s, "
                f"{llm['cached_calls']} calls: {verdict(met)} <= {TARGET_CACHED_SECONDS} s"
            )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Bulk qualification through a model: 200 leads against a server that takes 500 ms a call.

Runs `leadbot qualify FILE --format json --no-store --model openai:gpt-4o-mini` in-process
(the command's own parser and handler) with LEADBOT_MODEL_CONCURRENCY=8, against the local
FakeOpenAI server answering every call after 500 ms, through the real ChatOpenAI and openai
client. Checks one call per lead and output in input order, and prints the wall time
(the one-off import of langchain_openai is timed apart, as start-up).
Target from the issue: <= 15 s (the floor is 200 x 0.5 s / 8 = 12.5 s).

    python benchmarks/llm_throughput.py [--leads 200] [--delay 0.5] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import re
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tests"))

from fakes.openai_api import FakeOpenAI, FakeResponse  # noqa: E402

from bot.cli import build_parser  # noqa: E402
from bot.settings import Settings  # noqa: E402

TARGET_SECONDS = 15.0


def answer_from_lead(body: dict) -> FakeResponse:
    """A valid structured answer quoting the lead's headcount, so order can be checked."""
    size = re.search(r"team of (\d+) people", body["messages"][-1]["content"]).group(1)
    return FakeResponse(
        content={
            "criteria": {
                "company_size": {"evidence": f"team of {size} people", "value": int(size)},
            },
            "knockouts": [],
        }
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.5, help="server seconds per call")
    parser.add_argument("--concurrency", type=int, default=8)
    options = parser.parse_args()

    started = time.monotonic()
    importlib.import_module("langchain_openai")  # init_chat_model's lazy import: start-up
    startup = time.monotonic() - started
    sizes = [10 + n for n in range(options.leads)]
    with tempfile.TemporaryDirectory() as folder:
        leads_file = Path(folder) / "leads.jsonl"
        leads_file.write_text(
            "".join(
                json.dumps({"text": f"Lead {n}: we are a team of {size} people, need AP help."})
                + "\n"
                for n, size in enumerate(sizes)
            )
        )
        with FakeOpenAI(responder=answer_from_lead, delay=options.delay) as fake:
            settings = Settings(
                LEADBOT_MODEL="openai:gpt-4o-mini",
                OPENAI_API_KEY="benchmark",
                OPENAI_BASE_URL=fake.url + "/v1",
                LEADBOT_MODEL_CONCURRENCY=options.concurrency,
                LEADBOT_MODEL_MAX_RETRIES=0,
            )
            args = build_parser().parse_args(
                ["qualify", str(leads_file), "--format", "json", "--no-store"]
            )
            output = io.StringIO()
            started = time.monotonic()
            with contextlib.redirect_stdout(output):
                exit_code = args.handler(args, settings)
            elapsed = time.monotonic() - started
            calls = len(fake.requests)

    records = [json.loads(line) for line in output.getvalue().splitlines()]
    in_order = [r["criteria"][-1]["value"] for r in records] == sizes
    floor = options.leads * options.delay / options.concurrency
    print(
        f"{options.leads} leads, {options.delay * 1000:.0f} ms per call, "
        f"concurrency {options.concurrency}: {elapsed:.2f} s "
        f"(floor {floor:.1f} s, target <= {TARGET_SECONDS:.0f} s)"
    )
    print(f"start-up imports, timed apart: {startup:.2f} s")
    print(f"model calls: {calls} (expected {options.leads}); output in input order: {in_order}")
    ok = exit_code == 0 and in_order and calls == options.leads and elapsed <= TARGET_SECONDS
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

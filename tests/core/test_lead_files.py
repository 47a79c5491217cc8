"""Reading leads from .txt, .jsonl, .csv and stdin: per-row errors, whole-file errors, limits."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.errors import UserError
from bot.intake.files import MAX_LEAD_BYTES, parse_leads, read_leads, sniff_format


def leads_of(entries):
    return [entry.lead for entry in entries if entry.lead is not None]


def errors_of(entries):
    return [entry.error for entry in entries if entry.error is not None]


# --- .txt -----------------------------------------------------------------------------------


def test_txt_leads_are_separated_by_dashes_and_named_by_their_first_line():
    data = b"First lead\nsecond line\n---\n\n  Second lead\n---\n---\nThird\n"
    entries = parse_leads(data, "notes.txt")
    assert [lead.text for lead in leads_of(entries)] == [
        "First lead\nsecond line",
        "Second lead",
        "Third",
    ]
    assert [entry.id for entry in entries] == ["notes.txt:1", "notes.txt:5", "notes.txt:8"]


def test_txt_keeps_dashes_that_are_part_of_a_line():
    entries = parse_leads(b"Budget: 10k --- maybe more\n-- Sam\n", "a.txt")
    assert [lead.text for lead in leads_of(entries)] == ["Budget: 10k --- maybe more\n-- Sam"]


def test_windows_line_endings_and_a_byte_order_mark_are_read_as_text():
    entries = parse_leads("\ufeffHi\r\nthere\r\n---\r\nNext\r\n".encode(), "a.txt")
    assert [lead.text for lead in leads_of(entries)] == ["Hi\nthere", "Next"]


# --- .jsonl ---------------------------------------------------------------------------------


def test_jsonl_reads_text_id_and_every_other_field_as_text():
    line = {"id": 7, "text": " Need help ", "Employees": 300, "Budget": "50k", "Remote": True}
    line |= {"Tags": ["a", "b"], "Unset": None, "Blank": " "}
    entries = parse_leads((json.dumps(line) + "\n").encode(), "leads.jsonl")
    (lead,) = leads_of(entries)
    assert lead.id == "7"
    assert lead.text == "Need help"
    assert lead.fields == {
        "Employees": "300",
        "Budget": "50k",
        "Remote": "yes",
        "Tags": '["a", "b"]',
    }


def test_jsonl_bad_rows_get_file_line_field_errors_and_the_rest_still_read():
    lines = [
        '{"text": "good one"}',
        "not json",
        '["a list"]',
        '{"text": 42}',
        '{"id": {"x": 1}, "text": "bad id"}',
        "{}",
        "",
        '{"Company": "Fields only"}',
    ]
    entries = parse_leads("\n".join(lines).encode(), "in.jsonl")
    assert [lead.id for lead in leads_of(entries)] == ["in.jsonl:1", "in.jsonl:8"]
    assert errors_of(entries) == [
        "in.jsonl:2: expected one JSON object per line (Expecting value)",
        "in.jsonl:3: expected a JSON object, got a list",
        "in.jsonl:4: text: expected a string, got a number",
        "in.jsonl:5: id: expected a string or number, got an object",
        "in.jsonl:6: text: expected the lead's text (or other fields), got nothing",
    ]
    assert [entry.location for entry in entries][1:3] == ["in.jsonl:2", "in.jsonl:3"]


# --- .csv -----------------------------------------------------------------------------------


def test_csv_finds_the_text_column_and_keeps_other_columns_as_fields():
    data = b'Lead ID,Name,Title,Employees,Notes\nL-1,Dana,CFO,300,"Needs AP automation"\n'
    (lead,) = leads_of(parse_leads(data, "x.csv"))
    assert lead.id == "L-1"
    assert lead.text == "Needs AP automation"
    assert lead.fields == {"Name": "Dana", "Title": "CFO", "Employees": "300"}


def test_csv_semicolons_a_trailing_empty_column_and_blank_rows_are_tolerated():
    data = b"Description;Company;Budget;\nWe need a CRM;Acme;20k;\n;;;\nSecond;Beta;;\n"
    entries = parse_leads(data, "export.csv")
    assert errors_of(entries) == []
    assert [(lead.text, lead.fields) for lead in leads_of(entries)] == [
        ("We need a CRM", {"Company": "Acme", "Budget": "20k"}),
        ("Second", {"Company": "Beta"}),
    ]


def test_csv_row_ids_are_the_line_where_a_multiline_row_starts():
    data = b'text,Company\n"line one\nline two",Acme\nnext,Beta\n'
    entries = parse_leads(data, "m.csv")
    assert [entry.id for entry in entries] == ["m.csv:2", "m.csv:4"]
    assert leads_of(entries)[0].text == "line one\nline two"


def test_csv_with_fields_only_and_a_chosen_text_column():
    data = b"Name,Title,Comment\nDana,CFO,call me\n"
    (lead,) = leads_of(parse_leads(data, "f.csv", text_column="comment"))
    assert lead.text == "call me"
    assert lead.fields == {"Name": "Dana", "Title": "CFO"}
    (fields_only,) = leads_of(parse_leads(data, "f.csv"))
    assert fields_only.text == ""
    assert fields_only.fields == {"Name": "Dana", "Title": "CFO", "Comment": "call me"}


def test_csv_unknown_text_column_is_a_file_error_naming_the_columns():
    with pytest.raises(UserError, match=r"f.csv:1: --text-column: expected one of the columns "):
        parse_leads(b"Name,Title\nDana,CFO\n", "f.csv", text_column="notes")


def test_csv_rows_with_the_wrong_number_of_columns_get_an_error_and_the_rest_run():
    data = b"text,Company\nfine,Acme\ntoo,many,values\nalone\nalso fine,Beta\n"
    entries = parse_leads(data, "r.csv")
    assert [lead.text for lead in leads_of(entries)] == ["fine", "also fine"]
    assert errors_of(entries) == [
        "r.csv:3: expected 2 columns as in the header, got 3 "
        "(quote values that contain the delimiter or a line break)",
        "r.csv:4: expected 2 columns as in the header, got 1 "
        "(quote values that contain the delimiter or a line break)",
    ]


def test_tsv_files_are_tab_separated():
    (lead,) = leads_of(parse_leads(b"notes\tTitle\nhello, world\tCEO\n", "a.tsv"))
    assert (lead.text, lead.fields) == ("hello, world", {"Title": "CEO"})


# --- stdin and sniffing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"text": "hi"}\n', "jsonl"),
        ("message;Company\nhi;Acme\n", "csv"),
        ("Hi, I'm Dana, CFO at Globex, we need help\n", "txt"),
    ],
)
def test_sniffing_tells_jsonl_csv_and_text_apart(content, expected):
    assert sniff_format(content) == expected


def test_stdin_is_read_with_a_sniffed_or_given_format():
    stdin = io.BytesIO(b'{"id": "a", "text": "from stdin"}\n')
    (entry,) = read_leads(["-"], stdin=stdin)
    assert (entry.id, entry.lead.text) == ("a", "from stdin")
    stdin = io.BytesIO(b'{"not": "parsed as json"}\n')
    (entry,) = read_leads(["-"], stdin=stdin, input_format="txt")
    assert entry.lead.text == '{"not": "parsed as json"}'
    assert entry.id == "stdin:1"


# --- whole-file problems and limits ---------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"\n  \n\t\n", "\ufeff".encode()])
def test_an_empty_file_is_a_clear_error(data):
    with pytest.raises(UserError, match=r"^empty.txt: the file is empty; expected at least one"):
        parse_leads(data, "empty.txt")


def test_binary_data_is_refused_with_where_it_starts():
    with pytest.raises(UserError, match=r"^junk.csv:2: expected UTF-8 text, found binary data"):
        parse_leads(b"text\nabc\x00\x01\x02\xff", "junk.csv")


def test_csv_saved_by_excel_on_windows_is_read_as_windows_1252_or_latin_1():
    cp1252 = "Name,Notes\nRen\u00e9e M\u00fcller,\u201cBudget \u20ac50k\u201d \u2013 CFO\n"
    [entry] = parse_leads(cp1252.encode("cp1252"), "excel.csv")
    assert entry.lead.fields["Name"] == "Ren\u00e9e M\u00fcller"
    assert entry.lead.text == "\u201cBudget \u20ac50k\u201d \u2013 CFO"
    [latin] = parse_leads("Caf\u00e9 \x81".encode("latin-1"), "latin.txt")  # 0x81: no cp1252
    assert latin.lead.text == "Caf\u00e9 \x81"


def test_missing_files_and_directories_are_clear_errors(tmp_path: Path):
    with pytest.raises(UserError, match=r"nope\.txt: no such file"):
        read_leads([str(tmp_path / "nope.txt")])
    with pytest.raises(UserError, match="is a directory"):
        read_leads([str(tmp_path)])


@pytest.mark.parametrize("suffix", ["txt", "jsonl", "csv"])
def test_a_lead_over_1_mb_is_refused_and_the_others_still_read(suffix):
    huge = "word " * 999_999 + "words"
    small = "CFO, 300 employees"
    if suffix == "txt":
        data = f"{huge}\n---\n{small}\n"
    elif suffix == "jsonl":
        data = json.dumps({"text": huge}) + "\n" + json.dumps({"text": small}) + "\n"
    else:
        data = f'notes,Title\n"{huge}",CEO\n"{small}",CEO\n'
    entries = parse_leads(data.encode(), f"big.{suffix}")
    assert [lead.text for lead in leads_of(entries)] == [small]
    (error,) = errors_of(entries)
    assert error.startswith(f"big.{suffix}:")
    assert f"expected at most {MAX_LEAD_BYTES:,} bytes of text per lead, got 5,000,000" in error


def test_a_lead_just_under_the_limit_is_read():
    text = "é" * (MAX_LEAD_BYTES // 2)
    (entry,) = parse_leads(text.encode(), "edge.txt")
    assert entry.error is None


def test_a_failed_row_keeps_its_own_id_so_output_can_name_it():
    data = b'{"id": "b", "text": 7}\nId,Notes\nc-9,\n'
    (jsonl_entry,) = parse_leads(data.split(b"\n", 1)[0], "x.jsonl")
    (csv_entry,) = parse_leads(data.split(b"\n", 1)[1], "x.csv")
    assert (jsonl_entry.id, jsonl_entry.lead) == ("b", None)
    assert (csv_entry.id, csv_entry.error) == (
        "c-9",
        "x.csv:2: expected the lead's text or fields, got empty cells",
    )

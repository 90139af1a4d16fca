"""What of a value, a command line or source code is stored as ``***``, and what is kept."""

from __future__ import annotations

import pytest

from nbtrack.redact import redact_argv, redact_code, redact_value

CODE = """\
import os
db_password = 'hunter2'
secret: str = "s3"
conn = connect(host="db", api_key=b'k-1', port=5432)
os.environ["HF_TOKEN"] = 'hf_abc'
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "aws-1")
cfg = {"password": 'pw', "user": "ana"}
PRIVATE_TOKEN = '''line one
line two'''
pin_password = 1234
DB = "postgresql://ana:url-pw@db/runs?sslmode=require"
conn = psycopg.connect("host=db user=ana password=dsn-pw", autocommit=True)
# %env OPENAI_API_KEY=sk-env
# !curl --token tok-shell -H 'X: y' https://example.com
# export DB_PASSWORD=bash-pw
"""

REDACTED = """\
import os
db_password = '***'
secret: str = "***"
conn = connect(host="db", api_key=b'***', port=5432)
os.environ["HF_TOKEN"] = '***'
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "***")
cfg = {"password": '***', "user": "ana"}
PRIVATE_TOKEN = '''***
'''
pin_password = '***'
DB = "postgresql://ana:***@db/runs?sslmode=require"
conn = psycopg.connect("host=db user=ana password=***", autocommit=True)
# %env OPENAI_API_KEY=***
# !curl --token *** -H 'X: y' https://example.com
# export DB_PASSWORD=***
"""


def test_source_code_keeps_everything_but_the_literals_of_secret_names_and_url_passwords() -> None:
    assert redact_code(CODE) == REDACTED
    assert redact_code(CODE).count("\n") == CODE.count("\n")  # line numbers still match


@pytest.mark.parametrize(
    "line",
    [
        "token = os.environ['HF_TOKEN']",  # read at run time: no secret in the code
        "max_tokens = 512",
        "tokenizer = 'bert-base'",
        "if password == expected: pass",
        "url = 'https://example.com/a?page=2&q=token'",
        "lr = 0.1  # the api_key is read from a file",
        "client = connect(api_key=key_from_vault)",
    ],
)
def test_code_without_a_secret_literal_is_kept_as_it_is(line: str) -> None:
    assert redact_code(line) == line


def test_a_command_line_keeps_all_but_the_secret_values() -> None:
    argv = [
        "nbtrack", "run", "train.ipynb", "-p", "api_token=X1", "-p", "lr=0.1",
        "--password", "X2", "--db-password=X3", "--verbose", "--token", "--store",
        "postgresql://ana:X4@db/runs", "cfg={'secret': 'X5'}",
    ]  # fmt: skip
    assert redact_argv(argv) == (
        "nbtrack", "run", "train.ipynb", "-p", "api_token=***", "-p", "lr=0.1",
        "--password", "***", "--db-password=***", "--verbose", "--token", "--store",
        "postgresql://ana:***@db/runs", "cfg={'secret': '***'}",
    )  # fmt: skip


def test_values_without_secrets_are_kept_unchanged() -> None:
    value = {"lr": 0.1, "layers": [64, 32], "url": "https://example.com/x?page=2", "n": None}
    assert redact_value("model", value) == value
    assert redact_value("max_tokens", 512) == 512
    assert redact_value("dsn", "host=db password=pw sslmode=require") == (
        "host=db password=*** sslmode=require"
    )
    assert redact_value("db", {"auth": {"passwd": "p", "user": "u"}}) == {
        "auth": {"passwd": "***", "user": "u"}
    }

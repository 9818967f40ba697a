"""A proactive condition type is one set in three places: the server's validation, the widget's
evaluator and the admin editor. Node prints the two JavaScript lists from the modules themselves."""

import json
import shutil
import subprocess
from pathlib import Path
from typing import get_args

from prilavok.consult.proactive.rules import Condition

ROOT = Path(__file__).resolve().parents[2]

PRINT = """
import { CONDITION_TYPES } from './static/widget/src/conditions.js';
import { CONDITIONS } from './static/admin/rule-conditions.js';
console.log(JSON.stringify({ widget: CONDITION_TYPES, admin: Object.keys(CONDITIONS) }));
"""


def server_types() -> set[str]:
    union = get_args(Condition)[0]  # Annotated[A | B | ..., Field(discriminator="type")]
    return {get_args(model.model_fields["type"].annotation)[0] for model in get_args(union)}


def test_server_widget_and_admin_know_the_same_condition_types() -> None:
    node = shutil.which("node")
    assert node, "node is needed for the front-end checks"
    out = subprocess.run(
        [node, "--input-type=module", "-e", PRINT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    js = json.loads(out.stdout)
    server = server_types()
    assert len(server) == 8
    assert set(js["widget"]) == server
    assert set(js["admin"]) == server
    assert len(js["widget"]) == len(set(js["widget"]))

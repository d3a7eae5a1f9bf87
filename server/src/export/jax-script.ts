// The exported script's text: a header saying what it trains and how to run
// it, the plan as JSON, the model's functions written from the IR, then the
// fixed runtime (jax-runtime.ts).
import type { JaxExportPlan } from "./export-plan";
import { jaxRuntime } from "./jax-runtime";

export function jaxScript(plan: JaxExportPlan): string {
  const { lossFunction, scoreFunction, ...config } = plan;
  return [
    "#!/usr/bin/env python3",
    `"""Run ${plan.run} of ${plan.file}, exported by \`optim export\` to JAX.`,
    "",
    plan.description,
    "",
    "Needs only jax and numpy. Trains data-parallel over every local device (each",
    "batch split along its rows, the weights on every device); --coordinator,",
    "--num-processes and --process-id train across machines. Saves the run under",
    "runs/ beside this script, where `optim runs` lists it. --help for the options.",
    '"""',
    "import argparse",
    "import datetime",
    "import gzip",
    "import json",
    "import math",
    "import os",
    "import re",
    "import sys",
    "import time",
    "",
    "import numpy as np",
    "",
    "HERE = os.path.dirname(os.path.abspath(__file__))",
    // JSON is a Python string here: raw, and never holding three quotes in a row (JSON escapes every quote).
    `CONFIG = json.loads(r"""${JSON.stringify(config, null, 1)}""")`,
    "",
    "",
    "# ---- the model, from the IR (engine/ir.ts): one line per node ----------------",
    "",
    lossFunction,
    "",
    ...(scoreFunction ? [scoreFunction, ""] : []),
    `HAS_SCORE = ${scoreFunction ? "True" : "False"}`,
    "",
    jaxRuntime,
  ].join("\n");
}

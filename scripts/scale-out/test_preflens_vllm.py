"""Tests for preflens_vllm.py that need no GPU: readers, TRL prompt extraction and tokenization
logic, the RequestOutput -> interchange converter (checked against docs/interchange.md and TRL's
own numbers in test/fixtures/trl-golden), and the command line end to end with small fake `vllm`
and `transformers` packages. Tests that need a real library are skipped with the reason.

Run: python3 -m unittest scripts/scale-out/test_preflens_vllm.py -v
"""
import gzip
import importlib.util
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest
from types import SimpleNamespace

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GOLDEN = os.path.join(ROOT, "test", "fixtures", "trl-golden")
SCRIPT = os.path.join(HERE, "preflens_vllm.py")
sys.dont_write_bytecode = True  # no __pycache__ beside the script (run with python3 -B to keep this file's out too)
sys.path.insert(0, HERE)
import preflens_vllm as pv  # noqa: E402

has = lambda m: importlib.util.find_spec(m) is not None  # noqa: E731
EOS = "<|im_end|>"
SPECIAL = {"<|endoftext|>": 856, "<|im_start|>": 857, "<|im_end|>": 858}
TEMPLATE = json.load(open(os.path.join(GOLDEN, "models", "policy", "tokenizer_config.json")))["chat_template"]


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def chatml(messages, add_generation_prompt):
    """The golden tokenizer's chat template, in Python (jinja2 renders the real one where needed)."""
    text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return text + ("<|im_start|>assistant\n" if add_generation_prompt else "")


class CharTokenizer:
    """A stand-in for a transformers tokenizer: one id per character, special-token text matched
    as the special token, an optional BOS added with add_special_tokens, and `merge_space` that
    turns " x" into one token (the boundary merge that makes TRL's prefix mismatch)."""

    def __init__(self, bos_id=None, merge_space=False, eos=EOS, render=chatml):
        self.eos_token, self.bos_id, self.merge_space, self.render, self.chat_template = eos, bos_id, merge_space, render, TEMPLATE

    def __call__(self, text, add_special_tokens=True):
        ids = [self.bos_id] if add_special_tokens and self.bos_id is not None else []
        for piece in re.split("(" + "|".join(map(re.escape, SPECIAL)) + ")", text):
            if piece in SPECIAL:
                ids.append(SPECIAL[piece])
                continue
            for tok in re.findall(r" [^ ]|.", piece, re.S) if self.merge_space else piece:
                ids.append(1000 + ord(tok[-1]) + (100000 if len(tok) == 2 else 0))
        return {"input_ids": ids}

    def apply_chat_template(self, messages, tools=None, add_generation_prompt=False, tokenize=False, **kwargs):
        assert tokenize is False
        return self.render(messages, add_generation_prompt)


def L(logprob, rank, decoded=None):  # a vLLM Logprob
    return SimpleNamespace(logprob=logprob, rank=rank, decoded_token=decoded)


def interchange_fields():
    """The field table of docs/interchange.md: {name: (type text, required)}."""
    fields = {}
    with open(os.path.join(ROOT, "docs", "interchange.md"), encoding="utf-8") as f:
        for line in f:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) >= 3 and cells[0].startswith("`"):
                for name in re.findall(r"`([a-z_0-9]+)`", cells[0]):
                    fields[name] = (cells[1], cells[2] == "yes")
    return fields


def check_row(test, row):
    """Asserts the row is what docs/interchange.md asks for (and what `preflens import` checks)."""
    fields = interchange_fields()
    test.assertTrue({"example_id", "side", "token_ids", "token_logprobs", "completion_start", "sum_logprob", "n_tokens"} <= set(fields))
    for name, (_, required) in fields.items():
        if required:
            test.assertIn(name, row, f"required field {name}")
    test.assertEqual(set(row) - set(fields), set(), "fields outside the schema")
    n = len(row["token_ids"])
    test.assertIn(row["side"], ("chosen", "rejected"))
    test.assertIsInstance(row["example_id"], (int, str))
    test.assertTrue(all(isinstance(t, int) for t in row["token_ids"]))
    test.assertEqual(len(row["token_logprobs"]), n)
    test.assertIsNone(row["token_logprobs"][0])
    test.assertTrue(0 <= row["completion_start"] <= n)
    for name in ("target_rank", "topk_ids", "topk_logprobs", "token_entropy"):
        if name in row:
            test.assertEqual(len(row[name]), n, name)
    if "model_role" in row:
        test.assertIn(row["model_role"], ("policy", "reference"))
    values = [v for v in row["token_logprobs"][max(row["completion_start"], 1):] if v is not None]
    test.assertAlmostEqual(row["sum_logprob"], math.fsum(values), delta=1e-3)
    test.assertEqual(row["n_tokens"], n - max(row["completion_start"], 1))
    json.dumps(row, allow_nan=False)  # valid JSON: no NaN or Infinity


class ReadersTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="preflens-vllm-test-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def write(self, name, data, mode="w"):
        path = os.path.join(self.dir, name)
        with (gzip.open(path, "wt", encoding="utf-8") if name.endswith(".gz") else open(path, mode, encoding="utf-8")) as f:
            f.write(data)
        return path

    def test_jsonl_counts_records_not_lines_and_ignores_bom_and_crlf(self):
        path = self.write("d.jsonl", '\ufeff{"prompt": "a", "chosen": "b", "rejected": "c"}\r\n\r\n  \n{"prompt": "x", "chosen": "y", "rejected": "z"}\n')
        rows = [pv.parse_record(r) for r in pv.load_records(path)]
        self.assertEqual([r["prompt"] for r in rows], ["a", "x"])  # index 1 is the record after the blank lines

    def test_json_array_gzip_and_folder_in_natural_order(self):
        row = lambda i: {"prompt": str(i), "chosen": "c", "rejected": "r"}  # noqa: E731
        self.assertEqual(len(pv.load_records(self.write("a.json", json.dumps([row(0), row(1)])))), 2)
        self.assertEqual(pv.parse_record(pv.load_records(self.write("b.jsonl.gz", json.dumps(row(7)) + "\n"))[0])["prompt"], "7")
        folder = os.path.join(self.dir, "shards")
        os.mkdir(folder)
        for i in (10, 2, 1):
            with open(os.path.join(folder, f"train-{i}.jsonl"), "w") as f:
                f.write(json.dumps(row(i)) + "\n")
        with open(os.path.join(folder, "README.md"), "w") as f:
            f.write("not data")
        self.assertEqual([pv.parse_record(r)["prompt"] for r in pv.load_records(folder)], ["1", "2", "10"])

    @unittest.skipUnless(has("pyarrow"), "pyarrow is not installed: Parquet reading is not exercised")
    def test_parquet_with_message_lists(self):
        import pyarrow as pa
        import pyarrow.parquet as pq
        path = os.path.join(self.dir, "d.parquet")
        msgs = lambda t: [{"role": "assistant", "content": t}]  # noqa: E731
        pq.write_table(pa.Table.from_pylist([{"prompt": [{"role": "user", "content": "hi"}], "chosen": msgs("a"), "rejected": msgs("b")}]), path)
        pair = pv.normalize_pair(pv.load_records(path)[0])
        self.assertEqual((pair["kind"], pair["chosen"]), ("conversational", msgs("a")))

    def test_standard_and_conversational_explicit_prompt(self):
        pair = pv.normalize_pair({"prompt": "Q:", "chosen": " yes", "rejected": " no", "score": 3})
        self.assertEqual((pair["kind"], pair["prompt"], pair["chosen"], pair["rejected"]), ("string", "Q:", " yes", " no"))
        user, a, b = [{"role": "user", "content": "hi"}], [{"role": "assistant", "content": "A"}], [{"role": "assistant", "content": "B"}]
        pair = pv.normalize_pair({"prompt": user, "chosen": a, "rejected": b, "tools": [{"name": "f"}], "chat_template_kwargs": {"x": 1}})
        self.assertEqual((pair["kind"], pair["prompt"], pair["tools"], pair["chat_template_kwargs"]), ("conversational", user, [{"name": "f"}], {"x": 1}))

    def test_implicit_prompt_is_trls_extract_prompt(self):
        p = pv.normalize_pair({"chosen": "Q: hi\nA: Yes it is", "rejected": "Q: hi\nA: No"})
        self.assertEqual((p["prompt"], p["chosen"], p["rejected"]), ("Q: hi\nA:", " Yes it is", " No"))  # the space goes with the completions
        p = pv.normalize_pair({"chosen": "Say: Sayonara. In casual", "rejected": "Say: Sayonara"})  # one side a prefix: TRL's quirk
        self.assertEqual((p["prompt"], p["chosen"], p["rejected"]), ("Say: Sayonar", "a. In casual", "a"))
        hh = {"chosen": "\n\nHuman: Hi?\n\nAssistant: Hello there.", "rejected": "\n\nHuman: Hi?\n\nAssistant: Go away."}
        self.assertEqual(pv.normalize_pair(hh)["prompt"], "\n\nHuman: Hi?\n\nAssistant:")
        u, a, b = {"role": "user", "content": "hi"}, {"role": "assistant", "content": "A"}, {"role": "assistant", "content": "B"}
        p = pv.normalize_pair({"chosen": [u, a], "rejected": [u, b]})
        self.assertEqual((p["kind"], p["prompt"], p["chosen"], p["rejected"]), ("conversational", [u], [a], [b]))
        # UltraFeedback: a string prompt beside message lists is ignored (TRL maybe_extract_prompt)
        p = pv.normalize_pair({"prompt": "hi", "chosen": [u, a], "rejected": [u, b], "score_chosen": 8.0})
        self.assertEqual((p["prompt"], p["chosen"]), ([u], [a]))
        self.assertEqual(pv.normalize_pair({"chosen": "", "rejected": "x"})["prompt"], "")  # TRL raises; PrefLens: empty prompt

    def test_bad_rows_say_what_is_wrong(self):
        with self.assertRaisesRegex(ValueError, 'missing field "rejected"'):
            pv.normalize_pair({"prompt": "a", "chosen": "b"})
        with self.assertRaisesRegex(ValueError, "mix strings and message lists"):
            pv.normalize_pair({"prompt": "a", "chosen": "b", "rejected": [{"role": "assistant", "content": "c"}]})
        with self.assertRaisesRegex(ValueError, "not an object"):
            pv.normalize_pair([1, 2])

    def test_golden_rows_become_the_texts_trl_tokenized(self):
        """All 96 golden pairs: prompt extraction, EOS appending and chat rendering give the exact
        strings TRL 1.13 tokenized (prompt_text, chosen_full_text, rejected_full_text)."""
        tok = CharTokenizer()
        for name in ("trl_strings", "trl_chat", "hh_style", "ultrafeedback_style"):
            rows = read_jsonl(os.path.join(GOLDEN, "datasets", f"{name}.jsonl"))
            for row, want in zip(rows, read_jsonl(os.path.join(GOLDEN, "expected", f"{name}.jsonl")), strict=True):
                pair = pv.normalize_pair(row)
                self.assertEqual(pair["kind"], want["kind"], f"{name}[{want['index']}]")
                got = pv.render_pair(pair, tok)[:3]
                self.assertEqual(got, (want["prompt_text"], want["chosen_full_text"], want["rejected_full_text"]), f"{name}[{want['index']}]")

    @unittest.skipUnless(has("jinja2"), "jinja2 is not installed: the real chat template is not rendered")
    def test_real_chat_template_renders_like_the_python_one(self):
        import jinja2
        template = jinja2.Environment(trim_blocks=True, lstrip_blocks=True).from_string(TEMPLATE)
        tok = CharTokenizer(render=lambda m, g: template.render(messages=m, add_generation_prompt=g))
        for row, want in zip(read_jsonl(os.path.join(GOLDEN, "datasets", "trl_chat.jsonl")), read_jsonl(os.path.join(GOLDEN, "expected", "trl_chat.jsonl"))):
            self.assertEqual(pv.render_pair(pv.normalize_pair(row), tok)[1], want["chosen_full_text"])


class TokenizeTest(unittest.TestCase):
    def test_string_rows_get_eos_once_and_bos_stays_in_the_prompt(self):
        tok = CharTokenizer(bos_id=1)
        t = pv.tokenize_pair(pv.normalize_pair({"prompt": "Q:", "chosen": " a", "rejected": " b" + EOS}), tok)
        self.assertEqual(t["prompt_ids"], [1, 1000 + ord("Q"), 1000 + ord(":")])
        self.assertEqual(t["chosen_ids"], [1000 + ord(" "), 1000 + ord("a"), 858])
        self.assertEqual(t["rejected_ids"], [1000 + ord(" "), 1000 + ord("b"), 858])  # no second EOS
        self.assertEqual((t["dropped"], t["prefix_mismatch"]), (None, {"chosen": False, "rejected": False}))

    def test_conversational_rows_score_the_template_end_of_turn_and_no_extra_eos(self):
        row = {"prompt": [{"role": "user", "content": "hi"}], "chosen": [{"role": "assistant", "content": ""}], "rejected": [{"role": "assistant", "content": "x"}]}
        t = pv.tokenize_pair(pv.normalize_pair(row), CharTokenizer(bos_id=1))  # add_special_tokens=False: no BOS
        self.assertNotIn(1, t["prompt_ids"])
        self.assertEqual(t["chosen_ids"], [858, 1000 + ord("\n")])  # an empty message scores <|im_end|>\n

    def test_prefix_mismatch_keeps_trls_split(self):
        # "Answer: " ends in a " " token; the full text merges " P": TRL still cuts len(prompt_ids) tokens
        t = pv.tokenize_pair(pv.normalize_pair({"prompt": "A: ", "chosen": "Pa", "rejected": "Qb"}), CharTokenizer(merge_space=True))
        self.assertEqual(t["prefix_mismatch"], {"chosen": True, "rejected": True})
        self.assertEqual(t["chosen_ids"], [1000 + ord("a"), 858])  # the "P" is scored nowhere, as in TRL

    def test_truncation_keep_start_and_dropped_prompts(self):
        row = {"prompt": "abcd", "chosen": "efghij", "rejected": "k"}
        t = pv.tokenize_pair(pv.normalize_pair(row), CharTokenizer(), max_length=7)
        self.assertEqual((len(t["chosen_ids"]), t["truncated"]["chosen"]), (3, True))
        self.assertEqual((len(t["rejected_ids"]), t["truncated"]["rejected"]), (2, False))
        t = pv.tokenize_pair(pv.normalize_pair(row), CharTokenizer(), max_length=4)
        self.assertRegex(t["dropped"], "prompt is 4 tokens, at least max_length 4")
        self.assertEqual(len(t["chosen_ids"]), 7)  # untruncated, for display
        self.assertEqual(len(pv.tokenize_pair(pv.normalize_pair(row), CharTokenizer(), max_length=None)["chosen_ids"]), 7)

    @unittest.skipUnless(has("transformers"), "transformers is not installed: the real tokenizer's ids are not compared with TRL's")
    def test_ids_equal_trls_on_the_golden_datasets(self):
        tok, provenance = pv.load_tokenizer(os.path.join(GOLDEN, "models", "policy"))
        self.assertEqual(set(provenance), {"tokenizer_sha256", "chat_template_sha256"})
        for name in ("trl_strings", "trl_chat", "hh_style", "ultrafeedback_style"):
            for row, want in zip(read_jsonl(os.path.join(GOLDEN, "datasets", f"{name}.jsonl")), read_jsonl(os.path.join(GOLDEN, "expected", f"{name}.jsonl"))):
                t = pv.tokenize_pair(pv.normalize_pair(row), tok, max_length=512)
                self.assertEqual((t["prompt_ids"], t["chosen_ids"], t["rejected_ids"]), (want["prompt_ids"], want["chosen_ids"], want["rejected_ids"]), f"{name}[{want['index']}]")


class ConverterTest(unittest.TestCase):
    def test_a_request_output_becomes_an_interchange_row(self):
        ids = [5, 6, 7, 8]
        lps = [None, {6: L(-1.0, 1, "a"), 9: L(-2.0, 2, "b")}, {1: L(-0.1, 1), 2: L(-0.5, 2), 7: L(-2.0, 3)}, {8: L(-0.25, 1), 3: L(-1.5, 2)}]
        row = pv.to_interchange_row(17, "chosen", ids, lps, 2, "org/policy", "policy", 2, "bfloat16", {"tokenizer_sha256": "ab"})
        self.assertEqual(row["token_logprobs"], [None, -1.0, -2.0, -0.25])
        self.assertEqual(row["target_rank"], [None, 0, 2, 0])  # vLLM rank 3 -> 2 (0-based)
        self.assertEqual(row["topk_ids"], [[], [6, 9], [1, 2], [8, 3]])  # rank order; token 7 (rank 3) is beyond k=2
        self.assertEqual(row["topk_logprobs"][2], [-0.1, -0.5])
        self.assertEqual((row["sum_logprob"], row["n_tokens"], row["mean_logprob"]), (-2.25, 2, -1.125))
        self.assertEqual((row["example_id"], row["model_role"], row["dtype"], row["tokenizer_sha256"]), (17, "policy", "bfloat16", "ab"))
        check_row(self, row)

    def test_empty_prompt_does_not_count_position_zero(self):
        row = pv.to_interchange_row(0, "rejected", [3, 4, 5], [None, {4: L(-1.0, 1)}, {5: L(-3.0, 1)}], 0, "m", "reference", 0)
        self.assertEqual((row["sum_logprob"], row["n_tokens"]), (-4.0, 2))
        self.assertNotIn("topk_ids", row)  # top_k 0: no top-k columns
        check_row(self, row)

    def test_missing_and_non_finite_entries_are_null(self):
        lps = [None, {2: L(-1.0, 1)}, None, {9: L(-0.5, 1)}, {4: L(float("-inf"), 1)}]  # 2: no dict; 3: no actual token; 4: -inf
        row = pv.to_interchange_row(1, "chosen", [1, 2, 3, 4, 4, 5], lps, 1, "m", None, 1)
        self.assertEqual(row["token_logprobs"], [None, -1.0, None, None, None, None])  # 5: beyond the list
        self.assertNotIn("model_role", row)
        self.assertEqual((row["sum_logprob"], pv.missing_in_completion(row)), (-1.0, 4))
        json.dumps(row, allow_nan=False)

    def test_json_dump_form_and_missing_ranks(self):
        """The raw dump form (string keys, {logprob, rank, decoded_token} objects) converts like the objects;
        without ranks the top k are taken by log-prob."""
        objects = [None, {7: L(-0.7, 2), 1: L(-0.2, 1)}]
        dumped = json.loads(json.dumps([None, {"7": {"logprob": -0.7, "rank": 2, "decoded_token": "x"}, "1": {"logprob": -0.2, "rank": 1, "decoded_token": "y"}}]))
        self.assertEqual(pv.to_interchange_row(0, "chosen", [0, 7], objects, 1, "m", "policy", 5), pv.to_interchange_row(0, "chosen", [0, 7], dumped, 1, "m", "policy", 5))
        row = pv.to_interchange_row(0, "chosen", [0, 7], [None, {7: L(-0.7, None), 1: L(-0.2, None), 3: L(-3.0, None)}], 1, "m", "policy", 2)
        self.assertEqual((row["topk_ids"][1], row["target_rank"][1]), ([1, 7], None))

    def test_sums_are_float64_and_order_free(self):
        n = 1001
        lps = [None] + [{i: L(0.1, 1)} for i in range(1, n)]
        row = pv.to_interchange_row(0, "chosen", list(range(n)), lps, 1, "m", "policy", 0)
        self.assertEqual(row["sum_logprob"], math.fsum([0.1] * (n - 1)))
        self.assertEqual(row["sum_logprob"], 100.0)

    def test_trls_own_per_token_logprobs_sum_to_trls_totals(self):
        """Positions line up with TRL's shift: feeding TRL's per-token values (golden) at the completion
        positions gives TRL's summed log-probs and token counts, for every pair and side."""
        for name in ("trl_strings", "trl_chat", "hh_style", "ultrafeedback_style"):
            for want in read_jsonl(os.path.join(GOLDEN, "expected", f"{name}.jsonl")):
                for side, key in (("chosen", "chosen"), ("rejected", "rejected")):
                    ids = want["prompt_ids"] + want[f"{key}_ids"]
                    cs = len(want["prompt_ids"])
                    lps = [None] + [{ids[t]: L(-5.0, 4)} for t in range(1, cs)] + [{ids[cs + j]: L(v, 1)} for j, v in enumerate(want[f"{key}_token_logps"])]
                    row = pv.to_interchange_row(want["index"], side, ids, lps, cs, "policy", "policy", 0)
                    self.assertAlmostEqual(row["sum_logprob"], want[f"{key}_logps"], delta=1e-9)
                    self.assertEqual(row["n_tokens"], want[f"{key}_tokens"])
                    check_row(self, row)


FAKE_VLLM = '''
import json, os
from types import SimpleNamespace

def fake_logprob(model, prev, tok):
    return -((prev * 31 + tok * 17 + len(model)) % 97) / 10.0 - 0.01

class SamplingParams:
    def __init__(self, **kw):
        self.kw = kw

class LLM:
    def __init__(self, **kw):
        self.kw = kw
        with open(os.environ["FAKE_VLLM_LOG"], "a") as f:
            f.write(json.dumps({"kw": kw, "gpus": os.environ.get("CUDA_VISIBLE_DEVICES")}) + "\\n")
        config = SimpleNamespace(dtype="torch." + kw["dtype"].replace("auto", "float16"), max_model_len=int(os.environ.get("FAKE_VLLM_MAX_LEN", "512")))
        self.llm_engine = SimpleNamespace(model_config=config)

    def generate(self, prompts, params, use_tqdm=True):
        assert params.kw["max_tokens"] == 1 and not use_tqdm
        k, model, outs = params.kw["prompt_logprobs"], self.kw["model"], []
        for p in prompts:
            ids = p["prompt_token_ids"]
            lps = [None]
            for t in range(1, len(ids)):
                entry = {900 + r: SimpleNamespace(logprob=-0.01 * r, rank=r, decoded_token=None) for r in range(1, k + 1)}
                entry[ids[t]] = SimpleNamespace(logprob=fake_logprob(model, ids[t - 1], ids[t]), rank=k + 1 + ids[t] % 3, decoded_token=None)
                lps.append(entry)
            outs.append(SimpleNamespace(prompt_token_ids=ids, prompt_logprobs=lps))
        return outs
'''

FAKE_TRANSFORMERS = '''
import sys
sys.path.insert(0, {here!r})
from test_preflens_vllm import CharTokenizer

class AutoTokenizer:
    @staticmethod
    def from_pretrained(path, trust_remote_code=False):
        return CharTokenizer()
'''

FAKE_RAY = '''
import os
import numpy as np
import pyarrow.parquet as pq

def init(address=None):
    pass

class Dataset:
    """Runs map_batches(actor class) in this process, batch by batch, as Ray Data's numpy batches."""
    def __init__(self, items, actor=None):
        self.items, self.actor = items, actor

    def map_batches(self, cls, fn_constructor_args=(), batch_size=None, num_gpus=None, concurrency=None):
        assert num_gpus >= 1 and concurrency >= 1
        return Dataset(self.items, (cls, fn_constructor_args, batch_size))

    def write_parquet(self, path):
        cls, args, size = self.actor
        actor, at = cls(*args), 0
        os.makedirs(path)
        for at in range(0, len(self.items), size):
            chunk = self.items[at:at + size]
            pq.write_table(actor({k: np.array([c[k] for c in chunk]) for k in chunk[0]}), os.path.join(path, f"{at}.parquet"))

class data:
    from_items = Dataset
'''


class CommandLineTest(unittest.TestCase):
    """The script end to end, with fake vllm/transformers packages first on PYTHONPATH."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="preflens-vllm-cli-")
        cls.fakes = os.path.join(cls.dir, "fakes")
        for name, source in (("vllm", FAKE_VLLM), ("transformers", FAKE_TRANSFORMERS.format(here=HERE)), ("ray", FAKE_RAY)):
            os.makedirs(os.path.join(cls.fakes, name))
            with open(os.path.join(cls.fakes, name, "__init__.py"), "w") as f:
                f.write(textwrap.dedent(source))
        cls.fake = {}
        exec(FAKE_VLLM, cls.fake)
        cls.data = os.path.join(GOLDEN, "datasets", "trl_strings.jsonl")
        cls.models = {role: os.path.join(GOLDEN, "models", role) for role in ("policy", "reference")}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, True)

    def run_script(self, *args, fakes=True, gpus=None, max_model_len=4096):
        env = dict(os.environ, FAKE_VLLM_LOG=os.path.join(self.dir, "llm.log"), FAKE_VLLM_MAX_LEN=str(max_model_len), PYTHONDONTWRITEBYTECODE="1")
        env.pop("CUDA_VISIBLE_DEVICES", None)
        if gpus:
            env["CUDA_VISIBLE_DEVICES"] = gpus
        if fakes:
            env["PYTHONPATH"] = self.fakes + os.pathsep + env.get("PYTHONPATH", "")
        open(env["FAKE_VLLM_LOG"], "w").close()
        result = subprocess.run([sys.executable, SCRIPT, *args], env=env, capture_output=True, text=True, timeout=120)
        with open(env["FAKE_VLLM_LOG"]) as f:
            engines = [json.loads(line) for line in f]
        return result, engines

    def expected_sum(self, model, row):
        ids = row["token_ids"]
        return math.fsum(self.fake["fake_logprob"](model, ids[t - 1], ids[t]) for t in range(max(row["completion_start"], 1), len(ids)))

    def test_one_model_writes_checked_rows_with_trl_sums(self):
        out = os.path.join(self.dir, "policy.jsonl")
        result, engines = self.run_script(self.data, "--model", self.models["policy"], "--role", "policy", "--out", out, "--max-length", "512", "--dtype", "float32")
        self.assertEqual(result.returncode, 0, result.stderr)
        rows = read_jsonl(out)
        self.assertEqual(len(rows), 48)
        self.assertEqual([(r["example_id"], r["side"]) for r in rows[:3]], [(0, "chosen"), (0, "rejected"), (1, "chosen")])
        tok = CharTokenizer()
        for row in rows:
            check_row(self, row)
            self.assertEqual((row["model_role"], row["model_id"], row["dtype"]), ("policy", self.models["policy"], "float32"))
            self.assertAlmostEqual(row["sum_logprob"], self.expected_sum(self.models["policy"], row), delta=1e-9)
            self.assertEqual(len(row["topk_ids"][1]), 5)
        # the token ids are TRL's tokenization of the pair, prompt then completion
        t = pv.tokenize_pair(pv.normalize_pair(read_jsonl(self.data)[9]), tok, 512)
        self.assertEqual(rows[18]["token_ids"], t["prompt_ids"] + t["chosen_ids"])
        self.assertEqual(engines[0]["kw"]["enable_prefix_caching"], False)
        self.assertEqual(os.listdir(self.dir).count("policy.jsonl"), 1)
        self.assertFalse([n for n in os.listdir(self.dir) if ".tmp-" in n or ".part-" in n])
        self.assertRegex(result.stderr, r"48/48 sequences scored")

    def test_policy_and_reference_in_one_run_and_data_parallel_is_identical(self):
        one = os.path.join(self.dir, "both.jsonl")
        result, engines = self.run_script(self.data, "--policy", self.models["policy"], "--ref", self.models["reference"], "--out", one, "--progress-json")
        self.assertEqual(result.returncode, 0, result.stderr)
        rows = read_jsonl(one)
        self.assertEqual([r["model_role"] for r in rows], ["policy"] * 48 + ["reference"] * 48)
        for row in rows:
            self.assertAlmostEqual(row["sum_logprob"], self.expected_sum(row["model_id"], row), delta=1e-9)
        self.assertEqual([e["kw"]["model"] for e in engines], [self.models["policy"], self.models["reference"]])
        events = [json.loads(line) for line in result.stderr.splitlines()]
        self.assertIn("progress", {e["event"] for e in events})
        self.assertEqual(events[-1], {"event": "done", "rows": 96, "out": one})
        two = os.path.join(self.dir, "both-dp.jsonl")
        result, engines = self.run_script(self.data, "--policy", self.models["policy"], "--ref", self.models["reference"], "--out", two, "-dp", "2", gpus="4,5")
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(one, "rb") as a, open(two, "rb") as b:
            self.assertEqual(a.read(), b.read())
        self.assertEqual(sorted(e["gpus"] for e in engines), ["4", "4", "5", "5"])
        self.assertFalse([n for n in os.listdir(self.dir) if ".part-" in n])

    def test_shards_cover_contiguous_blocks_and_keep_row_indexes(self):
        out = os.path.join(self.dir, "shard.jsonl")
        result, _ = self.run_script(self.data, "--model", self.models["reference"], "--role", "reference", "--shard", "1/3", "--out", out)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(sorted({r["example_id"] for r in read_jsonl(out)}), list(range(8, 16)))

    def test_bad_rows_and_dropped_pairs_are_reported_and_skipped(self):
        data = os.path.join(self.dir, "bad.jsonl")
        with open(data, "w") as f:
            f.write('{"prompt": "a", "chosen": "b", "rejected": "c"}\nnot json\n{"prompt": "a", "chosen": "b"}\n'
                    '{"prompt": "' + "p" * 40 + '", "chosen": "b", "rejected": "c"}\n{"prompt": "q", "chosen": "r", "rejected": "s"}\n'
                    '{"prompt": "' + "l" * 20 + '", "chosen": "' + "m" * 20 + '", "rejected": "c"}\n')
        out = os.path.join(self.dir, "bad.out.jsonl")
        result, _ = self.run_script(data, "--model", "m", "--out", out, "--max-length", "40", "--id-column", "prompt", max_model_len=36)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual([r["example_id"] for r in read_jsonl(out)], ["a", "a", "q", "q"])
        self.assertRegex(result.stderr, r"row 1 skipped: Expecting value")
        self.assertRegex(result.stderr, r'row 2 skipped: missing field "rejected"')
        self.assertRegex(result.stderr, r"row 3 skipped: the prompt is 40 tokens, at least max_length 40")
        self.assertRegex(result.stderr, r"example l{20} skipped: longer than vLLM's max_model_len 36")

    def test_usage_errors_and_missing_dependencies(self):
        result, _ = self.run_script("--help", fakes=False)
        self.assertEqual(result.returncode, 0)
        self.assertIn("--data-parallel-size", result.stdout)
        result, _ = self.run_script(self.data, "--out", "x.jsonl", "--policy", "p")
        self.assertEqual(result.returncode, 2)
        self.assertIn("both --policy and --ref", result.stderr)
        result, _ = self.run_script(self.data, "--model", "m", "--out", "x.jsonl", "--shard", "3/3")
        self.assertEqual(result.returncode, 2)
        if not has("vllm"):
            result, _ = self.run_script(self.data, "--model", "m", "--out", os.path.join(self.dir, "x.jsonl"), fakes=False)
            self.assertEqual(result.returncode, 3)
            self.assertIn("pip install vllm", result.stderr)
        if not has("ray"):
            result, _ = self.run_script(self.data, "--model", "m", "--ray", "--out", os.path.join(self.dir, "ray-out"), fakes=False)
            self.assertEqual(result.returncode, 3)
            self.assertIn("pip install 'ray[data]'", result.stderr)

    @unittest.skipUnless(has("pyarrow") and has("numpy"), "pyarrow is not installed: the Ray Data path (which writes Parquet) is not exercised")
    def test_ray_mode_writes_a_parquet_folder_per_role_with_the_same_rows(self):
        import pyarrow.parquet as pq
        out, ref = os.path.join(self.dir, "ray"), os.path.join(self.dir, "ray-ref.jsonl")
        result, _ = self.run_script(self.data, "--policy", self.models["policy"], "--ref", self.models["reference"], "--ray", "-dp", "2", "--batch-size", "5", "--out", out)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(sorted(os.listdir(out)), ["policy", "reference"])
        result, _ = self.run_script(self.data, "--policy", self.models["policy"], "--ref", self.models["reference"], "--out", ref)
        self.assertEqual(result.returncode, 0, result.stderr)
        want = {(r["model_role"], r["example_id"], r["side"]): r for r in read_jsonl(ref)}
        got = [r for role in ("policy", "reference") for r in pq.read_table(os.path.join(out, role)).to_pylist()]
        self.assertEqual(len(got), len(want))
        for row in got:
            self.assertEqual({k: v for k, v in row.items() if v is not None}, want[(row["model_role"], row["example_id"], row["side"])])

    @unittest.skipUnless(has("pyarrow"), "pyarrow is not installed: Parquet output is not exercised")
    def test_parquet_output_holds_the_same_rows(self):
        import pyarrow.parquet as pq
        jsonl, parquet = os.path.join(self.dir, "p.jsonl"), os.path.join(self.dir, "p.parquet")
        for out in (jsonl, parquet):
            result, _ = self.run_script(self.data, "--model", self.models["policy"], "--role", "policy", "--out", out, "-dp", "2", gpus="0,1")
            self.assertEqual(result.returncode, 0, result.stderr)
        table = pq.read_table(parquet).to_pylist()
        for a, b in zip(read_jsonl(jsonl), table, strict=True):
            self.assertEqual({k: v for k, v in b.items() if v is not None}, a)


if __name__ == "__main__":
    unittest.main()

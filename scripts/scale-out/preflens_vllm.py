#!/usr/bin/env python3
"""Score a DPO preference dataset with vLLM on GPUs and write PrefLens interchange rows.

Usage: see `python3 preflens_vllm.py --help` and docs/vllm.md; the output format is
docs/interchange.md, and `preflens import` opens it.

Design note
- Tokenization is TRL >= 1.0 DPOTrainer's (METRICS.md 1.1 convention A), mirroring
  native/engine/tokenize/trlTokenize.ts: string rows get the EOS text appended unless they end
  with it, then `prompt` and `prompt + completion` are tokenized with the tokenizer's default
  special tokens; message rows are rendered with the chat template (prompt with
  add_generation_prompt=True, prompt + completion without) and tokenized with
  add_special_tokens=False. Completion ids = full_ids[len(prompt_ids):] and the scored sequence
  is prompt_ids + completion_ids (TRL only warns when prompt_ids is not a prefix of full_ids).
  Truncation is keep_start at --max-length: the completion's tail goes, and a prompt of
  max_length tokens or more drops the pair. Implicit prompts follow TRL's extract_prompt,
  quirks included, so raw HH-RLHF transcripts are handled exactly as TRL handles them.
- Scoring is one vLLM prefill per (pair, side): SamplingParams(max_tokens=1, prompt_logprobs=K)
  on the token ids. vLLM returns, per position, None at 0 and then a dict token_id -> Logprob
  holding the actual token and the top K. Prefix caching is turned off because vLLM's prompt
  log-probs and its prefix cache have a history of not mixing (vllm#3251, #13409, #42245).
- The conversion to interchange rows (to_interchange_row) is a pure function; vLLM, Ray,
  transformers and pyarrow are imported only inside the functions that need them, so --help,
  the readers and the converter work (and are tested) without them.
- Parallelism: -tp is vLLM's tensor parallelism; -dp N starts N copies of this script, each on
  its own CUDA_VISIBLE_DEVICES slice and a contiguous block of rows, and concatenates their
  files; --shard i/n scores block i of n (scheduler array jobs); --ray runs Ray Data actors.
  --policy/--ref runs the two models one after the other in child processes, so the first
  model's GPU memory is returned before the second loads.
- example_id is the row index in the dataset (blank JSONL lines skipped, as PrefLens counts), or
  --id-column's value; target_rank is vLLM's 1-based rank minus 1 (0 = the most likely token), as
  PrefLens stores ranks. Output is written to a temp file and renamed, so a killed job leaves none.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import os
import re
import subprocess
import sys
import time

TRL_DEFAULT_MAX_LENGTH = 1024  # DPOConfig.max_length
SIDES = ("chosen", "rejected")


class UsageError(Exception):
    """A problem the user fixes by changing the command (exit 2) or installing something (exit 3)."""

    def __init__(self, message, code=2):
        super().__init__(message)
        self.code = code


def need(module, hint):
    """Imports a heavy optional dependency with a message that says how to get it."""
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as error:
        raise UsageError(f"{module} is not installed in this Python ({error}); {hint}", code=3) from error


# ---------------------------------------------------------------- reading datasets

def _natural_key(name):
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def load_records(path):
    """All records of a dataset in PrefLens order: (.jsonl|.jsonl.gz|.json|.parquet) or a folder of them.

    JSONL records stay unparsed strings until parse_record, so a shard only parses its own rows.
    """
    if os.path.isdir(path):
        names = sorted((n for n in os.listdir(path) if re.search(r"\.(jsonl|jsonl\.gz|json|parquet)$", n, re.I) and not n.startswith(".")), key=_natural_key)
        if not names:
            raise UsageError(f"{path}: the folder holds no .jsonl, .jsonl.gz, .json or .parquet files")
        return [r for n in names for r in load_records(os.path.join(path, n))]
    lower = path.lower()
    if lower.endswith(".parquet"):
        pq = need("pyarrow.parquet", "pip install pyarrow to read Parquet (or convert the dataset to JSONL)")
        return pq.read_table(path).to_pylist()
    opener = gzip.open if lower.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig") as f:  # utf-8-sig: a leading BOM is not data
        if lower.endswith(".json"):
            data = json.load(f)
            if not isinstance(data, list):
                raise UsageError(f"{path}: a .json dataset must be an array of records")
            return data
        return [JsonLine(line) for line in f if line.strip()]  # blank lines are not records


class JsonLine(str):
    """A JSONL record not parsed yet (a string element of a .json array is data, not JSON text)."""


def parse_record(record):
    return json.loads(record) if isinstance(record, JsonLine) else record


def is_conversational(value):
    return isinstance(value, list) and len(value) > 0 and isinstance(value[0], dict) and "role" in value[0] and "content" in value[0]


def extract_prompt(chosen, rejected):
    """TRL's extract_prompt (trl/data_utils.py), line for line, quirks included: the longest common
    prefix, moved left by one when the character before the split is a space; when one side is a
    prefix of the other the loop ends on its last index. Empty sides give an empty prompt (TRL raises)."""
    n = min(len(chosen), len(rejected))
    if n == 0:
        return chosen[:0], chosen, rejected
    for idx in range(n):
        if chosen[idx] != rejected[idx]:
            if chosen[idx - 1] == " ":  # a message is never equal to " "
                idx -= 1
            break
    return chosen[:idx], chosen[idx:], rejected[idx:]


def normalize_pair(row, prompt_col="prompt", chosen_col="chosen", rejected_col="rejected"):
    """One dataset row as {kind, prompt, chosen, rejected, tools, chat_template_kwargs} (TRL maybe_extract_prompt)."""
    if not isinstance(row, dict):
        raise ValueError(f"the record is a {type(row).__name__}, not an object")
    for col in (chosen_col, rejected_col):
        if col not in row:
            raise ValueError(f'missing field "{col}"')
    prompt, chosen, rejected = row.get(prompt_col), row[chosen_col], row[rejected_col]
    # An explicit prompt is kept only when it has chosen's kind; otherwise (no prompt, or
    # UltraFeedback's string prompt beside message lists) it is extracted from the two sides.
    if prompt is None or is_conversational(prompt) != is_conversational(chosen):
        if not (isinstance(chosen, str) and isinstance(rejected, str)) and not (isinstance(chosen, list) and isinstance(rejected, list)):
            raise ValueError("chosen and rejected must both be strings or both be message lists")
        prompt, chosen, rejected = extract_prompt(chosen, rejected)
    if all(isinstance(x, str) for x in (prompt, chosen, rejected)):
        kind = "string"
    elif all(isinstance(x, list) for x in (prompt, chosen, rejected)):
        kind = "conversational"
    else:
        raise ValueError("prompt, chosen and rejected mix strings and message lists: TRL cannot tokenize this row")
    return {"kind": kind, "prompt": prompt, "chosen": chosen, "rejected": rejected,
            "tools": row.get("tools"), "chat_template_kwargs": row.get("chat_template_kwargs") or {}}


# ---------------------------------------------------------------- TRL tokenization

def render_pair(pair, tok):
    """(prompt_text, prompt+chosen text, prompt+rejected text, add_special_tokens), as TRL builds them."""
    p, c, r = pair["prompt"], pair["chosen"], pair["rejected"]
    if pair["kind"] == "string":
        eos = tok.eos_token
        if eos is None:
            raise UsageError("the tokenizer has no eos_token, which TRL appends to string responses")
        with_eos = lambda s: s if s.endswith(eos) else s + eos  # noqa: E731
        return p, p + with_eos(c), p + with_eos(r), True
    kwargs = dict(pair.get("chat_template_kwargs") or {})
    render = lambda msgs, gen: tok.apply_chat_template(msgs, tools=pair.get("tools"), add_generation_prompt=gen, tokenize=False, **kwargs)  # noqa: E731
    # The assistant header belongs to the prompt; the template's end of turn is scored; no extra EOS.
    return render(p, True), render(p + c, False), render(p + r, False), False


def tokenize_pair(pair, tok, max_length=TRL_DEFAULT_MAX_LENGTH):
    """prompt_ids, chosen_ids, rejected_ids as TRL's DPOTrainer makes them; `dropped` says why TRL would skip the pair."""
    prompt_text, full_chosen, full_rejected, special = render_pair(pair, tok)
    encode = lambda text: list(tok(text, add_special_tokens=special)["input_ids"])  # noqa: E731
    prompt_ids = encode(prompt_text)
    out = {"prompt_ids": prompt_ids, "dropped": None, "prefix_mismatch": {}, "truncated": {}}
    if max_length and len(prompt_ids) >= max_length:
        out["dropped"] = f"the prompt is {len(prompt_ids)} tokens, at least max_length {max_length}: TRL drops it (truncation_mode keep_start)"
    for side, text in zip(SIDES, (full_chosen, full_rejected)):
        full = encode(text)
        ids = full[len(prompt_ids):]
        keep = len(ids) if not max_length or out["dropped"] else max_length - len(prompt_ids)
        out[f"{side}_ids"] = ids[:keep]
        out["truncated"][side] = len(ids) > keep
        out["prefix_mismatch"][side] = full[:len(prompt_ids)] != prompt_ids
    return out


# ---------------------------------------------------------------- vLLM output -> interchange row

def _logprob_and_rank(value):
    """A vLLM Logprob, its JSON form {logprob, rank, decoded_token}, or a bare number."""
    if isinstance(value, dict):
        return value.get("logprob"), value.get("rank")
    if isinstance(value, (int, float)):
        return float(value), None
    return getattr(value, "logprob", None), getattr(value, "rank", None)


def _finite(x):
    return x is not None and math.isfinite(x)


def to_interchange_row(example_id, side, prompt_token_ids, prompt_logprobs, completion_start, model_id, role, top_k,
                       dtype=None, provenance=None):
    """One interchange row (docs/interchange.md) from a vLLM RequestOutput's prompt_token_ids and
    prompt_logprobs. Pure: no vLLM needed. Positions without the actual token's log-prob (always
    0; a missing or non-finite entry) get null; the sum runs over completion positions that have
    a predecessor, so with an empty prompt position 0 is not counted (TRL drops it too)."""
    ids = [int(t) for t in prompt_token_ids]
    n = len(ids)
    logprobs, ranks = [None] * n, [None] * n
    topk_ids, topk_lps = [[] for _ in range(n)], [[] for _ in range(n)]
    for t in range(1, n):
        entry = prompt_logprobs[t] if prompt_logprobs is not None and t < len(prompt_logprobs) else None
        if not entry:
            continue
        entries = [(int(k),) + _logprob_and_rank(v) for k, v in entry.items()]  # keys: int, or str in JSON dumps
        for token, lp, rank in entries:
            if token == ids[t] and _finite(lp):
                logprobs[t] = float(lp)
                ranks[t] = int(rank) - 1 if rank is not None else None  # vLLM ranks from 1, PrefLens from 0
        if top_k > 0:
            usable = [e for e in entries if _finite(e[1])]
            if all(e[2] is not None for e in usable):  # the actual token may sit beyond the top K
                top = sorted((e for e in usable if e[2] <= top_k), key=lambda e: (e[2], -e[1], e[0]))
            else:
                top = sorted(usable, key=lambda e: (-e[1], e[0]))[:top_k]
            topk_ids[t], topk_lps[t] = [e[0] for e in top], [float(e[1]) for e in top]
    scored = [logprobs[t] for t in range(max(completion_start, 1), n) if logprobs[t] is not None]
    total = math.fsum(scored)  # float64, exactly rounded: the order of the positions does not matter
    n_tokens = n - max(completion_start, 1)  # scored completion tokens (position 0 has no log-prob)
    row = {"example_id": example_id, "side": side, "model_id": model_id}
    if role:
        row["model_role"] = role
    if dtype:
        row["dtype"] = dtype
    row.update(provenance or {})
    row.update({"token_ids": ids, "token_logprobs": logprobs, "completion_start": completion_start, "target_rank": ranks})
    if top_k > 0:
        row.update({"topk_ids": topk_ids, "topk_logprobs": topk_lps})
    row.update({"sum_logprob": total, "mean_logprob": total / n_tokens if n_tokens > 0 else None, "n_tokens": n_tokens})
    return row


def missing_in_completion(row):
    """Completion positions (with a predecessor) that have no log-prob: `preflens import` rejects such rows."""
    return sum(1 for t in range(max(row["completion_start"], 1), len(row["token_ids"])) if row["token_logprobs"][t] is None)


# ---------------------------------------------------------------- output

def interchange_schema(pa, string_ids):
    f64, i32 = pa.float64(), pa.int32()
    return pa.schema([
        ("example_id", pa.string() if string_ids else pa.int64()), ("side", pa.string()), ("model_id", pa.string()),
        ("model_role", pa.string()), ("dtype", pa.string()), ("tokenizer_sha256", pa.string()), ("chat_template_sha256", pa.string()),
        ("token_ids", pa.list_(i32)), ("token_logprobs", pa.list_(f64)), ("completion_start", i32), ("target_rank", pa.list_(f64)),
        ("topk_ids", pa.list_(pa.list_(i32))), ("topk_logprobs", pa.list_(pa.list_(f64))),
        ("sum_logprob", f64), ("mean_logprob", f64), ("n_tokens", i32)])


class AtomicWriter:
    """JSONL (default) or Parquet (a .parquet path), written to PATH.tmp-PID and renamed on close."""

    def __init__(self, path, string_ids=False):
        self.path, self.tmp, self.rows = path, f"{path}.tmp-{os.getpid()}", 0
        self.parquet = path.lower().endswith(".parquet")
        if self.parquet:
            self.pa = need("pyarrow", "pip install pyarrow to write Parquet (or write .jsonl)")
            import pyarrow.parquet as pq
            self.schema = interchange_schema(self.pa, string_ids)
            self.writer, self.buffer = pq.ParquetWriter(self.tmp, self.schema), []
        else:
            self.file = open(self.tmp, "w", encoding="utf-8")

    def write(self, row):
        self.rows += 1
        if not self.parquet:
            self.file.write(json.dumps(row, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n")
            return
        self.buffer.append(row)
        if len(self.buffer) >= 1000:
            self.flush()

    def flush(self):
        if self.parquet and self.buffer:
            self.writer.write_table(self.pa.Table.from_pylist(self.buffer, schema=self.schema))
            self.buffer = []

    def copy_from(self, part):
        """Appends another file this script wrote (a data-parallel worker's part) in the same format."""
        if self.parquet:
            import pyarrow.parquet as pq
            self.flush()
            table = pq.read_table(part)
            self.rows += table.num_rows
            self.writer.write_table(table.cast(self.schema))
        else:
            with open(part, encoding="utf-8") as f:
                for line in f:
                    self.file.write(line)
                    self.rows += 1

    def close(self):
        self.flush()
        (self.writer if self.parquet else self.file).close()
        os.replace(self.tmp, self.path)

    def abort(self):
        try:
            (self.writer if self.parquet else self.file).close()
        finally:
            if os.path.exists(self.tmp):
                os.remove(self.tmp)


class Progress:
    def __init__(self, args, label):
        self.json, self.label, self.t0, self.warnings = args.progress_json, label, time.monotonic(), 0

    def update(self, done, total):
        ms = int((time.monotonic() - self.t0) * 1000)
        if self.json:
            print(json.dumps({"event": "progress", "done": done, "total": total, "elapsed_ms": ms, "job": self.label}), file=sys.stderr, flush=True)
        else:
            print(f"preflens_vllm [{self.label}]: {done}/{total} sequences scored ({ms / 1000:.1f} s)", file=sys.stderr, flush=True)

    def warn(self, message):
        self.warnings += 1
        if self.warnings <= 20:  # a broken dataset should not flood a job log
            print(json.dumps({"event": "warning", "job": self.label, "message": message}) if self.json else f"preflens_vllm [{self.label}]: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- scoring

def load_tokenizer(path, trust_remote_code=False):
    """The transformers tokenizer TRL would use, plus provenance hashes computed as PrefLens does
    (modelTokenizer.ts: sha256 of tokenizer.json then tokenizer_config.json bytes; sha256 of the template)."""
    transformers = need("transformers", "pip install transformers (vLLM installs it)")
    tok = transformers.AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)
    provenance = {}
    if os.path.isfile(os.path.join(path, "tokenizer.json")):
        h = hashlib.sha256()
        for name in ("tokenizer.json", "tokenizer_config.json"):
            if os.path.isfile(os.path.join(path, name)):
                with open(os.path.join(path, name), "rb") as f:
                    h.update(f.read())
        provenance["tokenizer_sha256"] = h.hexdigest()
    if isinstance(getattr(tok, "chat_template", None), str):
        provenance["chat_template_sha256"] = hashlib.sha256(tok.chat_template.encode("utf-8")).hexdigest()
    return tok, provenance


def build_sequences(records, start, args, tok, progress):
    """(example_id, side, token_ids, completion_start) for each scored side of records[start:]."""
    seqs = []
    for offset, record in enumerate(records):
        index = start + offset
        try:
            row = parse_record(record)
            if args.id_column and row.get(args.id_column) is None:
                raise ValueError(f'no "{args.id_column}" value for --id-column')
            # a string, so preflens import matches it by value (an integer would be a row index)
            example_id = str(row[args.id_column]) if args.id_column else index
            pair = normalize_pair(row, args.prompt_column, args.chosen_column, args.rejected_column)
            if pair["kind"] == "conversational" and getattr(tok, "chat_template", None) is None:
                raise UsageError("the tokenizer has no chat template, so conversational rows cannot be rendered")
            t = tokenize_pair(pair, tok, args.max_length or None)
        except UsageError:
            raise
        except Exception as error:  # a bad row (or a chat template raising on it) is reported, the others go on
            progress.warn(f"row {index} skipped: {error}")
            continue
        if t["dropped"]:
            progress.warn(f"row {index} skipped: {t['dropped']}")
            continue
        for side in SIDES:
            seqs.append((example_id, side, t["prompt_ids"] + t[f"{side}_ids"], len(t["prompt_ids"])))
    return seqs


def make_llm(args, model):
    vllm = need("vllm", "pip install vllm (Linux with a CUDA GPU), see docs/vllm.md")
    kwargs = dict(model=model, tokenizer=args.tokenizer or model, tensor_parallel_size=args.tensor_parallel_size, dtype=args.dtype,
                  gpu_memory_utilization=args.gpu_memory_utilization, enable_prefix_caching=False,
                  max_logprobs=max(20, args.top_k), trust_remote_code=args.trust_remote_code, enforce_eager=args.enforce_eager)
    if args.max_model_len:
        kwargs["max_model_len"] = args.max_model_len
    llm = vllm.LLM(**kwargs)
    try:
        config = llm.llm_engine.model_config
        return llm, str(config.dtype).replace("torch.", ""), int(config.max_model_len)
    except Exception:  # the attribute path moves between vLLM versions; the flags are the fallback
        return llm, args.dtype, args.max_model_len


def fit_context(seqs, max_model_len, progress):
    """vLLM rejects a whole generate() call for one prompt longer than its context: skip those pairs instead."""
    too_long = {s[0] for s in seqs if max_model_len and len(s[2]) > max_model_len}
    for example_id in sorted(too_long, key=str):
        progress.warn(f"example {example_id} skipped: longer than vLLM's max_model_len {max_model_len} (lower --max-length)")
    return [s for s in seqs if s[0] not in too_long]


def score_sequences(llm, seqs, args, progress):
    """Yields (seq, prompt_logprobs) in input order, one generate() call per --batch-size sequences."""
    vllm = need("vllm", "pip install vllm")
    # temperature 1 and the default raw log-prob mode: the values are the model's own log_softmax
    params = vllm.SamplingParams(max_tokens=1, prompt_logprobs=args.top_k, detokenize=False)
    for at in range(0, len(seqs), args.batch_size):
        chunk = seqs[at:at + args.batch_size]
        outputs = llm.generate([{"prompt_token_ids": s[2]} for s in chunk], params, use_tqdm=False)
        for seq, out in zip(chunk, outputs):
            yield seq, out.prompt_logprobs
        progress.update(at + len(chunk), len(seqs))


def row_range(args, total):
    if args.rows:
        a, b = (int(x) for x in args.rows.split(":"))
        return a, min(b, total)
    if args.shard:
        i, n = (int(x) for x in args.shard.split("/"))
        if not 0 <= i < n:
            raise UsageError(f"--shard {args.shard}: expected i/n with 0 <= i < n")
        return total * i // n, total * (i + 1) // n
    return 0, total


def score_one(args, role, model, start, end, records):
    """Scores records[start:end] with one model in this process and writes args.out."""
    need("vllm", "pip install vllm (Linux with a CUDA GPU), see docs/vllm.md")  # before minutes of tokenizing
    progress = Progress(args, f"{role or 'model'} rows {start}:{end}")
    tok, provenance = load_tokenizer(args.tokenizer or model, args.trust_remote_code)
    seqs = build_sequences(records[start:end], start, args, tok, progress)
    llm, dtype, max_model_len = make_llm(args, model)
    seqs = fit_context(seqs, max_model_len, progress)
    writer, missing = AtomicWriter(args.out, bool(args.id_column)), 0
    try:
        for (example_id, side, ids, completion_start), prompt_logprobs in score_sequences(llm, seqs, args, progress):
            row = to_interchange_row(example_id, side, ids, prompt_logprobs, completion_start, args.model_id or model, role, args.top_k, dtype, provenance)
            missing += missing_in_completion(row) > 0
            writer.write(row)
    except BaseException:
        writer.abort()
        raise
    writer.close()
    if progress.warnings > 20:
        print(f"preflens_vllm: {progress.warnings} rows skipped in all (the first 20 are listed above)", file=sys.stderr)
    if missing:
        print(f"preflens_vllm: {missing} rows lack a completion log-prob (null in token_logprobs); preflens import will report them", file=sys.stderr)
    return writer.rows


def visible_gpus():
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env:
        return [g for g in env.split(",") if g.strip()]
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"], capture_output=True, text=True, check=True).stdout
        return [line.strip() for line in out.splitlines() if line.strip()]
    except (OSError, subprocess.CalledProcessError) as error:
        raise UsageError(f"cannot list the GPUs for --data-parallel-size (set CUDA_VISIBLE_DEVICES): {error}")


def child_flags(parser, args, skip):
    """The options of this run, as flags for a child process (minus the ones the parent sets)."""
    flags = []
    for action in parser._actions:  # argparse keeps no public list of the parsed options
        value = getattr(args, action.dest, None)
        if not action.option_strings or action.dest in skip or value is None or value == action.default:
            continue
        flags += [action.option_strings[-1]] if action.nargs == 0 else [action.option_strings[-1], str(value)]
    return flags


def run_children(parser, args, jobs, start, end):
    """Each (role, model) in turn, split over -dp workers with their own GPUs; then one output file."""
    dp, tp = args.data_parallel_size, args.tensor_parallel_size
    gpus = visible_gpus() if dp > 1 else None
    if gpus is not None and len(gpus) < dp * tp:
        raise UsageError(f"-dp {dp} x -tp {tp} needs {dp * tp} GPUs, {len(gpus)} are visible")
    base = child_flags(parser, args, {"model", "role", "policy", "ref", "out", "rows", "shard", "data_parallel_size", "tokenizer"})
    ext = ".parquet" if args.out.lower().endswith(".parquet") else ".jsonl"
    parts = []
    try:
        for role, model in jobs:
            procs = []
            for i in range(dp):
                a, b = start + (end - start) * i // dp, start + (end - start) * (i + 1) // dp
                part = f"{args.out}.part-{role or 'model'}-{i}{ext}"
                env = dict(os.environ, CUDA_VISIBLE_DEVICES=",".join(gpus[i * tp:(i + 1) * tp])) if gpus else None
                cmd = [sys.executable, os.path.abspath(__file__), args.data, "--model", model, "--rows", f"{a}:{b}", "--out", part,
                       "--tokenizer", args.tokenizer or jobs[0][1]] + (["--role", role] if role else []) + base
                procs.append(subprocess.Popen(cmd, env=env))
                parts.append(part)
            failed = [p.args for p in procs if p.wait() != 0]
            if failed:
                raise RuntimeError(f"{len(failed)} worker(s) failed, e.g. {' '.join(failed[0])}")
        writer = AtomicWriter(args.out, bool(args.id_column))
        try:
            for part in parts:
                writer.copy_from(part)
        except BaseException:
            writer.abort()
            raise
        writer.close()
        return writer.rows
    finally:
        for part in parts:
            if os.path.exists(part):
                os.remove(part)


class RayScorer:
    """A Ray Data actor: loads the tokenizer and one vLLM engine, then scores batches of raw rows."""

    def __init__(self, args, role, model):
        self.args, self.role, self.model = args, role, model
        self.tok, self.provenance = load_tokenizer(args.tokenizer or model, args.trust_remote_code)
        self.llm, self.dtype, self.max_model_len = make_llm(args, model)
        self.pa = need("pyarrow", "pip install 'ray[data]'")

    def __call__(self, batch):
        progress, args = Progress(self.args, f"ray {self.role}"), self.args
        seqs = []
        for index, raw in zip(batch["index"], batch["row"]):  # numpy scalars and strings
            seqs += build_sequences([JsonLine(raw)], int(index), args, self.tok, progress)
        seqs = fit_context(seqs, self.max_model_len, progress)
        rows = [to_interchange_row(e, s, ids, lps, cs, args.model_id or self.model, self.role, args.top_k, self.dtype, self.provenance)
                for (e, s, ids, cs), lps in score_sequences(self.llm, seqs, args, progress)]
        return self.pa.Table.from_pylist(rows, schema=interchange_schema(self.pa, bool(args.id_column)))


def run_ray(args, jobs, records, start, end):
    """Ray Data over vLLM: OUT/<role>/ folders of Parquet shards (a folder is one file to preflens import).
    The driver reads the dataset so that example_id is PrefLens's row index (Ray's readers do not keep
    a global row order); the rows travel as JSON strings so message lists need no common Arrow type."""
    ray = need("ray", "pip install 'ray[data]'")
    need("vllm", "pip install vllm on every node of the Ray cluster")
    ray.init(address=args.ray_address)
    items = [{"index": i, "row": r if isinstance(r, JsonLine) else json.dumps(r, default=str)} for i, r in zip(range(start, end), records[start:end])]
    dataset = ray.data.from_items(items)
    for role, model in jobs:
        name = role or "model"
        final, tmp = os.path.join(args.out, name), os.path.join(args.out, f".{name}.tmp-{os.getpid()}")
        scored = dataset.map_batches(RayScorer, fn_constructor_args=(args, role, model), batch_size=args.batch_size,
                                     num_gpus=args.tensor_parallel_size, concurrency=args.data_parallel_size)
        scored.write_parquet(tmp)
        os.replace(tmp, final)  # fails, leaving the new folder beside it, if OUT/<role> is a non-empty folder
        print(f"preflens_vllm: wrote {final}", file=sys.stderr)


def build_parser():
    p = argparse.ArgumentParser(
        prog="preflens_vllm.py", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Score a DPO preference dataset with vLLM (tokenized as TRL's DPOTrainer does) and write "
                    "PrefLens interchange rows (docs/interchange.md). Needs vLLM and a CUDA GPU; see docs/vllm.md.",
        epilog="examples:\n  preflens_vllm.py data.jsonl --model ckpt/policy --role policy --out policy.interchange.jsonl\n"
               "  preflens_vllm.py data.jsonl --policy ckpt/policy --ref ckpt/ref -dp 8 --out scores.interchange.jsonl\n"
               "then: preflens import data.jsonl --policy policy.interchange.jsonl --ref ref.interchange.jsonl --out scores.jsonl")
    p.add_argument("data", help="dataset: .jsonl, .jsonl.gz, .json (array), .parquet, or a folder of them")
    p.add_argument("--out", required=True, help="output .jsonl (default format) or .parquet; with --ray a folder")
    m = p.add_argument_group("models")
    m.add_argument("--model", help="one model (local folder or Hub id), scored alone")
    m.add_argument("--role", choices=["policy", "reference"], help="model_role written with --model")
    m.add_argument("--model-id", help="model_id written in the rows (default: --model as given)")
    m.add_argument("--policy", help="policy model; with --ref both are scored, one after the other, into one file")
    m.add_argument("--ref", "--reference", dest="ref", help="reference model")
    m.add_argument("--tokenizer", help="tokenizer folder (default: --model, or --policy for both); TRL uses one for both models")
    t = p.add_argument_group("tokenization (TRL DPOConfig)")
    t.add_argument("--max-length", type=int, default=TRL_DEFAULT_MAX_LENGTH, help="max_length, keep_start truncation; 0: none (default 1024)")
    t.add_argument("--prompt-column", default="prompt")
    t.add_argument("--chosen-column", default="chosen")
    t.add_argument("--rejected-column", default="rejected")
    t.add_argument("--id-column", help="write this column as example_id (default: the 0-based row index)")
    v = p.add_argument_group("vLLM")
    v.add_argument("--top-k", type=int, default=5, help="top-k alternatives stored per position (prompt_logprobs=K; 0: none)")
    v.add_argument("--dtype", default="auto", help="auto, float32, bfloat16, float16")
    v.add_argument("-tp", "--tensor-parallel-size", type=int, default=1)
    v.add_argument("--max-model-len", type=int, help="vLLM max_model_len; must exceed --max-length")
    v.add_argument("--gpu-memory-utilization", type=float, default=0.9)
    v.add_argument("--enforce-eager", action="store_true", help="no CUDA graphs (faster start for small runs)")
    v.add_argument("--trust-remote-code", action="store_true")
    v.add_argument("--batch-size", type=int, default=512, help="sequences per generate() call (progress granularity)")
    s = p.add_argument_group("scale-out")
    s.add_argument("-dp", "--data-parallel-size", type=int, default=1, help="N workers, each on -tp GPUs of CUDA_VISIBLE_DEVICES")
    s.add_argument("--shard", help="i/n: score only the i-th of n contiguous blocks of rows (array jobs)")
    s.add_argument("--rows", help=argparse.SUPPRESS)  # a:b, set by the parent for its workers
    s.add_argument("--ray", action="store_true", help="Ray Data: -dp actors of -tp GPUs each; writes OUT/<role>/ Parquet folders")
    s.add_argument("--ray-address", help="Ray cluster address (default: local or RAY_ADDRESS)")
    s.add_argument("--progress-json", action="store_true", help="progress as JSON lines on stderr")
    return p


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if bool(args.model) == bool(args.policy or args.ref) or bool(args.policy) != bool(args.ref):
            raise UsageError("give either --model (with --role) or both --policy and --ref")
        if args.model_id and not args.model:
            raise UsageError("--model-id goes with --model; with --policy/--ref the model paths are the ids")
        if args.shard and not re.fullmatch(r"\d+/\d+", args.shard):
            raise UsageError(f"--shard {args.shard}: expected i/n, e.g. --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT")
        jobs = [(args.role, args.model)] if args.model else [("policy", args.policy), ("reference", args.ref)]
        records = load_records(args.data)
        start, end = row_range(args, len(records))
        if args.ray:
            run_ray(args, jobs, records, start, end)
            return 0
        if args.model and args.data_parallel_size == 1:
            rows = score_one(args, args.role, args.model, start, end, records)
        else:
            rows = run_children(parser, args, jobs, start, end)
        print(json.dumps({"event": "done", "rows": rows, "out": args.out}) if args.progress_json else f"preflens_vllm: wrote {rows} rows to {args.out}", file=sys.stderr)
        return 0
    except UsageError as error:
        print(f"preflens_vllm: {error}", file=sys.stderr)
        return error.code
    except RuntimeError as error:
        print(f"preflens_vllm: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

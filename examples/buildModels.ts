/**
 * `npm run models`: builds the embedded demo models from the sample dataset, offline and
 * deterministically, in well under a minute on 2 cores.
 *
 *   1. a byte-level BPE tokenizer trained on the sample's text (tokenizer.json, ChatML template);
 *   2. the reference: a neural k-gram LM trained by maximum likelihood on the training split's
 *      responses (chosen and rejected alike, so it has no preference of its own);
 *   3. the policy: the reference trained further with the DPO loss (beta 0.1) on the training
 *      pairs, with weight decay towards the reference (kgramTrain.ts), saved at several epochs
 *      (examples/models/checkpoints/) for ensembles and trajectories; the last is
 *      examples/models/policy.
 * Every folder has the layout of a real Hugging Face ONNX export and loads through the same code.
 * Pairs are tokenized by PrefLens's TRL tokenizer, so training sees exactly what scoring sees.
 * The held-out reward accuracy (policy vs reference) is printed and written to build-report.json.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dataset } from '../native/data/dataset';
import { turnsText } from '../native/data/messages';
import type { Pair } from '../native/data/normalizePair';
import { loadModelTokenizer } from '../native/engine/tokenize/modelTokenizer';
import { tokenizePairTrl } from '../native/engine/tokenize/trlTokenize';
import { trainByteLevelBpe } from './modelgen/bpeTrainer';
import { initParams, logProbs, type KgramConfig, type KgramParams } from './modelgen/kgram/kgramModel';
import { kgramToOnnx } from './modelgen/kgram/kgramOnnx';
import { trainDpo, trainMle, type PairSequences } from './modelgen/kgram/kgramTrain';

export const SAMPLE = 'examples/sample/pairs.jsonl';
export const MODELS = 'examples/models';
const CHAT_TEMPLATE = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
// Chosen for generalisation to unseen prompts, not for fit: a short context (two tokens), few epochs
// and a policy held near the reference by weight decay (at most about 1/dpoWeightDecay per weight,
// in proportion to how consistently the training pairs push it) keep the models from memorising the
// 152 training pairs. Only the training split is trained on; the few global settings were compared
// on the held-out split (reward accuracy, and how low the held-out pairs with wrong labels rank),
// see build-report.json.
const SETTINGS = { vocabSize: 768, context: 2, embed: 24, hidden: 32, seed: 20261129, beta: 0.1, mleEpochs: 3, mleLr: 0.01, dpoEpochs: 4, dpoLr: 0.0005, dpoWeightDecay: 100, checkpoints: [2, 3, 4], maxLength: 512 };

function writeFolder(dir: string, params: KgramParams, tokenizerFiles: Record<string, object>, note: string): void {
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  for (const [name, content] of Object.entries(tokenizerFiles)) writeFileSync(join(dir, name), `${JSON.stringify(content, null, 2)}\n`);
  const { vocabSize, context, embed, hidden } = params.config;
  const config = { model_type: 'preflens-kgram', architectures: ['PrefLensKgramLM'], vocab_size: vocabSize, context_size: context, embed_size: embed, hidden_size: hidden, eos_token_id: null, pad_token_id: null, preflens: note };
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  writeFileSync(join(dir, 'onnx', 'model.onnx'), kgramToOnnx(params));
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

export async function buildModels(out: string = MODELS, log: (line: string) => void = console.log): Promise<{ heldoutRewardAccuracy: number; seconds: number; dir: string }> {
  const started = Date.now();
  const dataset = await Dataset.open(SAMPLE, { cacheDir: mkdtempSync(join(tmpdir(), 'preflens-models-')) });
  const pairs = (await dataset.readPairs(0, dataset.rowCount)).flatMap((p) => (p.ok ? [p.pair] : []));
  await dataset.close();
  const texts = pairs.flatMap((p) => [turnsText(p.prompt), turnsText(p.chosen), turnsText(p.rejected)]);
  const trained = trainByteLevelBpe(texts, { vocabSize: SETTINGS.vocabSize, specialTokens: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'], chatTemplate: CHAT_TEMPLATE, eosToken: '<|im_end|>', padToken: '<|endoftext|>', bosToken: null, modelMaxLength: SETTINGS.maxLength });
  const tokenizerFiles = { 'tokenizer.json': trained.tokenizerJson, 'tokenizer_config.json': trained.tokenizerConfig, 'special_tokens_map.json': trained.specialTokensMap };
  rmSync(out, { recursive: true, force: true });
  const tokDir = join(out, 'tokenizer');
  mkdirSync(tokDir, { recursive: true });
  for (const [name, content] of Object.entries(tokenizerFiles)) writeFileSync(join(tokDir, name), `${JSON.stringify(content, null, 2)}\n`);
  const tokenizer = await loadModelTokenizer(tokDir);
  const config: KgramConfig = { vocabSize: tokenizer.vocabSize, context: SETTINGS.context, embed: SETTINGS.embed, hidden: SETTINGS.hidden };
  const sequences = (pair: Pair): PairSequences | undefined => {
    const t = tokenizePairTrl(pair, tokenizer, { maxLength: SETTINGS.maxLength });
    if (t.dropped) return undefined;
    const from = Math.max(t.promptIds.length, 1) - 1;
    return { chosen: { ids: [...t.promptIds, ...t.chosenIds], from }, rejected: { ids: [...t.promptIds, ...t.rejectedIds], from } };
  };
  const split = (name: string) => pairs.filter((p) => p.attributes.split === name).map((p) => ({ pair: p, seq: sequences(p) })).filter((x): x is { pair: Pair; seq: PairSequences } => x.seq !== undefined);
  const train = split('train');
  const heldout = split('heldout');
  log(`tokenizer: ${tokenizer.vocabSize} tokens; ${train.length} training pairs, ${heldout.length} held-out pairs`);

  const reference = trainMle(initParams(config, SETTINGS.seed), train.flatMap(({ seq }) => [seq.chosen, seq.rejected]), { epochs: SETTINGS.mleEpochs, lr: SETTINGS.mleLr, batch: 16, log });
  const checkpoints = trainDpo(reference, train.map((t) => t.seq), { epochs: SETTINGS.dpoEpochs, lr: SETTINGS.dpoLr, weightDecay: SETTINGS.dpoWeightDecay, batch: 8, beta: SETTINGS.beta, checkpoints: SETTINGS.checkpoints, log });
  const policy = checkpoints.at(-1)!.params;
  const margin = (p: KgramParams, s: PairSequences): number => sum(logProbs(p, s.chosen.ids, s.chosen.from)) - sum(logProbs(p, s.rejected.ids, s.rejected.from));
  const accuracy = heldout.filter(({ seq }) => margin(policy, seq) - margin(reference, seq) > 0).length / heldout.length;

  writeFolder(join(out, 'reference'), reference, tokenizerFiles, 'PrefLens embedded demo reference: maximum likelihood on the sample training split');
  writeFolder(join(out, 'policy'), policy, tokenizerFiles, `PrefLens embedded demo policy: DPO (beta ${SETTINGS.beta}, weight decay ${SETTINGS.dpoWeightDecay} towards the reference) from the reference, epoch ${SETTINGS.dpoEpochs}`);
  for (const c of checkpoints) writeFolder(join(out, 'checkpoints', `policy-epoch-${String(c.epoch).padStart(2, '0')}`), c.params, tokenizerFiles, `DPO checkpoint after epoch ${c.epoch}`);
  const seconds = (Date.now() - started) / 1000;
  // timings are left out of the report so that two builds are byte-identical
  const report = { settings: SETTINGS, trainPairs: train.length, heldoutPairs: heldout.length, heldoutRewardAccuracy: accuracy, checkpoints: checkpoints.map((c) => c.epoch) };
  writeFileSync(join(out, 'build-report.json'), `${JSON.stringify(report, null, 2)}\n`);
  log(`held-out reward accuracy (policy vs reference): ${accuracy.toFixed(3)}; built in ${seconds.toFixed(1)} s into ${out}/`);
  return { heldoutRewardAccuracy: accuracy, seconds, dir: out };
}

if (require.main === module) {
  buildModels(process.argv[2] ?? MODELS).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}

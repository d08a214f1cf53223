import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { engineSpawn } from '../../native/engine/spawnOptions';

test('the engine is forked with ELECTRON_RUN_AS_NODE from the bundle folder, keeping the environment', () => {
  const spawn = engineSpawn('/ext/dist', { PATH: '/usr/bin', HOME: '/home/u' }, '/opt/VSCode/code');
  assert.equal(spawn.modulePath, join('/ext/dist', 'engine.js'));
  assert.equal(spawn.options.execPath, '/opt/VSCode/code');
  assert.equal(spawn.options.env?.ELECTRON_RUN_AS_NODE, '1');
  assert.equal(spawn.options.env?.PATH, '/usr/bin');
  assert.deepEqual(spawn.options.stdio, ['ignore', 'pipe', 'pipe', 'ipc']);
});

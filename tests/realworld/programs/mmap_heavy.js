// V8 under the preload: large arrays, typed arrays (ArrayBuffers are mmapped), maps and JSON.
let total = 0;
for (let round = 0; round < 20; round++) {
  const buffers = [];
  for (let i = 0; i < 16; i++) buffers.push(new Float64Array(256 * 1024).fill(i + round));
  const map = new Map();
  for (let i = 0; i < 20000; i++) map.set('k' + i, { i, s: 'x'.repeat(i % 40) });
  const text = JSON.stringify([...map.values()].slice(0, 2000));
  total += buffers.reduce((a, b) => a + b[1000], 0) + JSON.parse(text).length + map.size;
}
console.log('node total ' + total);

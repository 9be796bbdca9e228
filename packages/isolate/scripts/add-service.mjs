// The benchmark service as plain JavaScript (no loader needed): what a built service looks like.
export default { name: 'math', actions: { add: (_ctx, { a, b }) => a + b } }

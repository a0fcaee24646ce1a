/** EIP-1559's base fee: it moves by at most 1/8 per block toward a block half full. */
export function nextBaseFee(
  parentBaseFee: bigint,
  parentGasUsed: bigint,
  gasLimit: bigint,
): bigint {
  const target = gasLimit / 2n;
  if (parentGasUsed === target) return parentBaseFee;
  if (parentGasUsed > target) {
    const delta = (parentBaseFee * (parentGasUsed - target)) / target / 8n;
    return parentBaseFee + (delta > 1n ? delta : 1n);
  }
  return parentBaseFee - (parentBaseFee * (target - parentGasUsed)) / target / 8n;
}

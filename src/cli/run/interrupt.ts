/**
 * Commands that only stream (logs -f, events, stats, wait) end on Ctrl-C with status 130, as the
 * docker CLI does, instead of being killed by the signal.
 */
export function exitOnInterrupt(): () => void {
  const onSigint = () => process.exit(130);
  process.once('SIGINT', onSigint);
  return () => process.removeListener('SIGINT', onSigint);
}

/**
 * docker's PromptForConfirmation: the question on stdout, one line read from stdin (a last line
 * without newline counts), "y" or "yes" in any case confirms.
 */
export async function promptForConfirmation(question: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<boolean> {
  process.stdout.write(question);
  const answer = await new Promise<string>((resolve) => {
    let buf = '';
    const done = (line: string) => {
      stdin.removeListener('data', onData);
      stdin.removeListener('end', onEnd);
      stdin.pause();
      resolve(line);
    };
    const onData = (chunk: Buffer | string) => {
      buf += chunk.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) done(buf.slice(0, nl));
    };
    const onEnd = () => done(buf);
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    stdin.resume();
  });
  return /^(y|yes)$/i.test(answer.trim());
}

/**
 * tap: pass every chunk of a stream to a side consumer (awaited, so its backpressure holds)
 * before handing it on, e.g. to keep a layer blob that came from elsewhere (a pull) in the content
 * store while the same bytes are decompressed and extracted (layers made here, by import and
 * commit, keep no blob: their snapshot's tar-split record rebuilds them):
 *
 *   const { stream } = await openDecompressed(tap(body, (c) => blob.write(c)));
 *   await snapshotter.applyLayer(parent, stream);   // consumes everything, trailing bytes too
 */
export async function* tap(source: AsyncIterable<Uint8Array>, onChunk: (chunk: Uint8Array) => Promise<void> | void): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    await onChunk(chunk);
    yield chunk;
  }
}

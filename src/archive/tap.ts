/**
 * tap: pass every chunk of a stream to a side consumer (awaited, so its backpressure holds)
 * before handing it on. The import path uses it to write the compressed body into the content
 * store while the same bytes are decompressed and extracted:
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

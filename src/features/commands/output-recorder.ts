// An execution's output on its way to the store: counted in bytes against the cap (the part
// past it is dropped and the run is told to stop), decoded as UTF-8 per stream so a character
// split between two writes arrives whole.

export class OutputRecorder {
  private bytes = 0;
  truncated = false;
  private readonly decoders = {
    stdout: new TextDecoder(),
    stderr: new TextDecoder(),
  };

  constructor(
    private readonly maxBytes: number,
    private readonly store: (stream: "stdout" | "stderr", text: string, bytes: number) => void,
    private readonly overLimit: () => void,
  ) {}

  write(stream: "stdout" | "stderr", data: Uint8Array): void {
    if (this.truncated) return;
    const room = this.maxBytes - this.bytes;
    const kept = data.byteLength > room ? data.subarray(0, room) : data;
    this.bytes += kept.byteLength;
    const text = this.decoders[stream].decode(kept, { stream: kept === data });
    if (text !== "") this.store(stream, text, kept.byteLength);
    if (kept !== data) {
      this.truncated = true;
      this.overLimit();
    }
  }

  writeText(stream: "stdout" | "stderr", text: string): void {
    if (text !== "") this.write(stream, new TextEncoder().encode(text));
  }
}

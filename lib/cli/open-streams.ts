// The streams a command has opened so far, so that a failure before (or
// outside) its pipeline still closes files and removes temporary outputs.
import { Stream } from 'node:stream';

export class OpenStreams {
  private readonly streams: Stream[] = [];

  add<S extends Stream>(stream: S): S {
    this.streams.push(stream);
    return stream;
  }

  destroyAll(): void {
    for (const stream of this.streams) {
      const s = stream as Stream & { destroy?: () => void; destroyed?: boolean };
      if (!s.destroyed) s.destroy?.();
    }
  }
}

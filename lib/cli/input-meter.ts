// Counts an input's bytes as a command consumes them and, when wanted,
// shows them as progress against the input's size.
import { ByteCounter } from './byte-counter';
import { CommandContext } from './command';
import { InputSource } from './input-source';
import { ProgressDisplay } from './progress-display';

export class InputMeter {
  readonly counter: ByteCounter;
  private readonly display?: ProgressDisplay;

  constructor(input: InputSource, context: CommandContext, label: string) {
    const display = context.showProgress ? new ProgressDisplay(context.io.stderr, label, input.size) : undefined;
    this.display = display;
    this.counter = new ByteCounter(display && ((bytes) => display.update(bytes)));
  }

  get bytes(): number {
    return this.counter.bytes;
  }

  /** Wipes the progress line. */
  finish(): void {
    this.display?.clear();
  }
}

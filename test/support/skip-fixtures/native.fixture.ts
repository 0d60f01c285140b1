// Run only by test/setup.test.ts (jest --testMatch): a second suite, so that
// a warning printed once per suite would show twice.
import { describeEachBackendWithRdiff, describeNative } from '../requirements';

describeNative('needs the addon', () => {
  it('six', () => expect(6).toBe(6));
  it('seven', () => expect(7).toBe(7));
});

describeEachBackendWithRdiff('per backend', () => {
  it('eight', () => expect(8).toBe(8));
});

describe('needs nothing either', () => {
  it('nine', () => expect(9).toBe(9));
});

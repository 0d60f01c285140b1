// Run only by test/setup.test.ts (jest --testMatch): a suite whose gated
// tests skip when rdiff or the addon is missing, with a known count of each.
import { describeWithRdiff } from '../requirements';

describeWithRdiff('needs rdiff and the addon', () => {
  it('one', () => expect(1).toBe(1));
  it('two', () => expect(2).toBe(2));
  it('three', () => expect(3).toBe(3));
});

describe('needs nothing', () => {
  it('four', () => expect(4).toBe(4));
  it('five', () => expect(5).toBe(5));
});

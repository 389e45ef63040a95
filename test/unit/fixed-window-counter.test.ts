import {expect} from '@loopback/testlab';
import {FixedWindowCounter} from '../../src/utils/fixed-window-counter.util';

describe('FixedWindowCounter', () => {
  let now = 0;
  const clock = () => now;

  beforeEach(() => {
    now = 1_000_000;
  });

  it('allows `limit` uses per key and window, then answers the seconds left, and starts over with the next window', () => {
    const counter = new FixedWindowCounter(2, 60_000, 100, clock);
    expect([counter.take('a'), counter.take('a')]).to.deepEqual([0, 0]);
    now += 15_000;
    expect(counter.take('a')).to.equal(45);
    expect(counter.take('b')).to.equal(0);
    now += 44_500;
    expect(counter.take('a')).to.equal(1);
    now += 500;
    expect(counter.take('a')).to.equal(0);
  });

  it('holds at most maxKeys keys, forgetting the oldest first', () => {
    const counter = new FixedWindowCounter(1, 60_000, 2, clock);
    expect(['a', 'b'].map(key => counter.take(key))).to.deepEqual([0, 0]);
    expect(counter.take('b')).to.be.above(0);
    expect(counter.take('c')).to.equal(0);
    // 'a' was forgotten to make room for 'c'; 'b' is still counted.
    expect(counter.take('a')).to.equal(0);
    expect(counter.take('c')).to.be.above(0);
  });
});

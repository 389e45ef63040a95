import {expect} from '@loopback/testlab';
import {EventEmitter} from 'node:events';
import type {ServerResponse} from 'node:http';
import {Slots} from '../../src/utils/slots.util';

/** What Slots reads of a response: whether it closed, and its close event. */
class Response extends EventEmitter {
  closed = false;

  close(): void {
    this.closed = true;
    this.emit('close');
  }
}

describe('Slots', () => {
  const hold = (slots: Slots, response: Response) => {
    const held = {done: false};
    slots.holdUntilClosed(response as unknown as ServerResponse).then(
      () => (held.done = true),
      () => undefined,
    );
    return held;
  };
  const settle = () => new Promise(resolve => setImmediate(resolve));

  it("lets `size` holders in at once; the next waits until a holder's response closes, in order", async () => {
    const slots = new Slots(2);
    const responses = Array.from({length: 4}, () => new Response());
    const held = responses.map(response => hold(slots, response));
    await settle();
    expect(held.map(h => h.done)).to.deepEqual([true, true, false, false]);
    responses[1].close();
    await settle();
    expect(held.map(h => h.done)).to.deepEqual([true, true, true, false]);
    responses[0].close();
    await settle();
    expect(held.map(h => h.done)).to.deepEqual([true, true, true, true]);
  });

  it('gives the slot back at once to a response that closed while it waited', async () => {
    const slots = new Slots(1);
    const [first, gone, next] = [new Response(), new Response(), new Response()];
    hold(slots, first);
    const goneHeld = hold(slots, gone);
    gone.close();
    const nextHeld = hold(slots, next);
    first.close();
    await settle();
    expect([goneHeld.done, nextHeld.done]).to.deepEqual([true, true]);
  });
});

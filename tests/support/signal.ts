/** A moment one side of a test waits for and the other announces: `fire()` lets whoever awaits `fired` go on. */
export function signal(): { readonly fired: Promise<void>; readonly fire: () => void } {
  let fire: () => void = () => undefined;
  const fired = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { fired, fire };
}

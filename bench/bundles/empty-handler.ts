/** The baseline for module-initialisation ratios: a handler that loads nothing, bundled like the real ones. */
export const handler = async (): Promise<void> => {};

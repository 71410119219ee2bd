/** @module The library name sent with every event (`library`), as the official SDK sends its own. */

/** `ampkit-node/<version>`. */
export const LIBRARY = 'ampkit-node/0.1.0'

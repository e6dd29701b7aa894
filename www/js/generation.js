// @ts-check
// One generation counter for every asynchronous result on the page. A job (the strip, the hover
// card, a map's tiles, opening a model…) takes a ticket when it starts; when its awaits return,
// it keeps its result only if no later ticket for the same job was taken meanwhile. One scheme
// instead of a token per panel: a newer request always wins, whoever made it.

let generation = 0;
/** @type {Map<string, number>} */
const latest = new Map();

/**
 * @typedef {object} Ticket
 * @property {number} id  this start's generation (unique on the page: usable as a cache key)
 * @property {() => boolean} current  whether this is still the job's latest start
 */

/** Starts `job` again: earlier tickets of the same job stop being current.
 * @param {string} job
 * @returns {Ticket} */
export function ticket(job) {
  const id = ++generation;
  latest.set(job, id);
  return { id, current: () => latest.get(job) === id };
}

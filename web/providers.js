// @ts-check
/**
 * The providers hookpit verifies (`GET /api/providers`), loaded once and kept: their titles for
 * the list's rows and the Verification tab, their tolerance, and what their secret is called.
 */
import * as api from './api.js';

/**
 * @typedef {Object} Provider
 * @property {string} name
 * @property {string} title
 * @property {string[]} headers
 * @property {string} algorithm
 * @property {number | null} tolerance_s
 * @property {string} docs
 * @property {string} secret
 */

/** @type {Provider[]} */
let all = [];
/** @type {Promise<Provider[]> | null} */
let loading = null;

/**
 * Every provider, fetched on first use (an empty list while hookpit is unreachable).
 * @returns {Promise<Provider[]>}
 */
export function loadProviders() {
  if (!loading) {
    loading = api.listProviders().then((list) => { all = list; return all; }, () => { loading = null; return all; });
  }
  return loading;
}

/** Every provider loaded so far (empty before the first load ends). */
export const loadedProviders = () => all;

/**
 * The provider called `name`, when the list is loaded.
 * @param {string | null | undefined} name
 * @returns {Provider | undefined}
 */
export function provider(name) {
  return name ? all.find((p) => p.name === name) : undefined;
}

/**
 * The title people use ("Shopify"), or the name itself until the list is loaded.
 * @param {string} name
 */
export function providerTitle(name) {
  const p = provider(name);
  return p ? p.title : name;
}

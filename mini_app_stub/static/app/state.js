// Shared by the mini-app's modules: the page's state, storage keys, checkpoint words, helpers.
import { parsePayload } from "/ui/app/payload.js";

export const $ = (id) => document.getElementById(id);
export const TOKEN_KEY = "sealtrace.staff.token";
export const ME_KEY = "sealtrace.staff.me";
export const TARGETS_KEY = "sealtrace.staff.targets";
export const CONSUMER_KEY = "sealtrace.consumer.id";
export const MODE_KEY = "sealtrace.mode";
export const FIX_MAX_AGE_MS = 5 * 60 * 1000;
export const SAME_CODE_QUIET_MS = 3000;

export const CHECKPOINT_LABELS = {
  commission: "Commission — code applied to a product",
  pack: "Pack — items into a case or pallet",
  warehouse_in: "Warehouse in — stored at the plant",
  ship: "Ship — leaves the plant",
  dealer_receive: "Receive — arrived at the dealer",
  dealer_ship: "Ship on — to a sub-dealer or store",
  retail_receive: "Receive — arrived at the store",
  retail_sell: "Sell — sold to a consumer",
};
export const SHIPPING = new Set(["ship", "dealer_ship"]);
export const UNPACKING = new Set(["pack", "dealer_receive", "retail_receive"]);

export const state = {
  token: localStorage.getItem(TOKEN_KEY) || "",
  me: null,
  checkpoint: null,
  targets: [],
  fix: null,
  fixError: null,
  pack: { container: null, children: [] },
  lastSeen: { text: "", at: 0 },
  onDecoded: null,
};

export function showError(id, message) {
  const node = $(id);
  node.textContent = message || "";
  node.hidden = !message;
}

/** A payload as shown to people: the parsed code, or the text cut short. */
export function label(payload) {
  const parsed = parsePayload(payload);
  if (parsed) return parsed.code;
  return payload.length > 48 ? `${payload.slice(0, 45)}…` : payload;
}

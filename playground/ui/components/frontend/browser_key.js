// This browser's random key, kept in a cookie (the server reads it when a page opens) and in local storage
// (for when cookies are blocked, e.g. in an iframe). A run belongs to the browser that started it.
const SHAPE = /^[0-9a-f]{32}$/;

function stored(name) {
  const cookie = document.cookie.split("; ").find((c) => c.startsWith(`${name}=`));
  if (cookie && SHAPE.test(cookie.slice(name.length + 1))) return cookie.slice(name.length + 1);
  try {
    const local = window.localStorage.getItem(name);
    if (local && SHAPE.test(local)) return local;
  } catch (e) { /* storage blocked */ }
  return null;
}

export default function ({ data, setStateValue }) {
  let key = stored(data.name);
  if (!key) key = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  try { window.localStorage.setItem(data.name, key); } catch (e) { /* storage blocked */ }
  document.cookie = `${data.name}=${key}; path=/; max-age=31536000; SameSite=Lax`;
  if (!data.known) setStateValue("key", key);
}

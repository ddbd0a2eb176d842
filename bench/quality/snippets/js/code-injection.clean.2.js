export function handler(event) {
  const body = JSON.parse(event.body);
  return { name: String(body.name ?? '') };
}

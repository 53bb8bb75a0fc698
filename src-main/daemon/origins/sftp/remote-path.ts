/**
 * The server path of a file: the origin's folder (absolute, or relative to
 * the login folder, '' being the login folder itself) joined with a path
 * relative to the origin root. SFTP servers resolve relative paths against
 * the login folder, so a relative base is sent as is.
 */
export function remotePathOf(base: string, rel: string): string {
  const cleanRel = rel.replace(/^\/+|\/+$/g, '');
  if (base === '' || base === '.') return cleanRel === '' ? '.' : cleanRel;
  if (cleanRel === '') return base;
  return base.endsWith('/') ? `${base}${cleanRel}` : `${base}/${cleanRel}`;
}

// A fetch made of XMLHttpRequest, for the one thing fetch cannot do in a browser over HTTP/1.1: report how
// much of a request body has been sent. The typed client (packages/client) takes it as its transport for
// work-unit uploads, so that the dashboard's progress bar moves within a batch, not only between batches.
export type Fetch = (request: Request) => Promise<Response>;

function headersOf(raw: string): Headers {
  const headers = new Headers();
  for (const line of raw.trim().split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return headers;
}

/** `onSent(bytes, total)` follows the request body as it goes. */
export function xhrFetch(onSent: (sent: number, total: number) => void): Fetch {
  return async (request) => {
    const body = request.method === 'GET' || request.method === 'HEAD' ? null : await request.arrayBuffer();
    return new Promise<Response>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(request.method, request.url);
      for (const [name, value] of request.headers) xhr.setRequestHeader(name, value);
      xhr.responseType = 'arraybuffer';
      xhr.upload.onprogress = (e) => onSent(e.loaded, e.lengthComputable ? e.total : (body?.byteLength ?? 0));
      const onAbort = () => xhr.abort();
      request.signal.addEventListener('abort', onAbort, { once: true });
      const done = () => request.signal.removeEventListener('abort', onAbort);
      xhr.onload = () => {
        done();
        const status = xhr.status;
        const content = status === 204 || status === 304 ? null : (xhr.response as ArrayBuffer);
        resolve(
          new Response(content, {
            status,
            statusText: xhr.statusText,
            headers: headersOf(xhr.getAllResponseHeaders()),
          }),
        );
      };
      // The same errors fetch would throw: the client tells an abort from a broken connection by them.
      xhr.onerror = () => {
        done();
        reject(new TypeError('the connection broke during the upload'));
      };
      // Its signal's reason when it has one, as fetch does: the client's own timeout is told from a caller's abort so.
      xhr.onabort = () => {
        done();
        reject(
          request.signal.aborted ? request.signal.reason : new DOMException('The upload was aborted', 'AbortError'),
        );
      };
      if (request.signal.aborted) return xhr.onabort?.(new ProgressEvent('abort'));
      xhr.send(body);
    });
  };
}

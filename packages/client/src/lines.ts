// Lines of a streamed body, as text: the NDJSON results download and the Server-Sent Events stream are
// both read line by line as they arrive, never held whole.

/** The lines of a UTF-8 byte stream, without their terminators (`\n` or `\r\n`); a last unterminated line too. */
export async function* textLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let rest = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += decoder.decode(value, { stream: true });
      let end = rest.indexOf('\n');
      while (end >= 0) {
        yield rest.slice(0, end).replace(/\r$/, '');
        rest = rest.slice(end + 1);
        end = rest.indexOf('\n');
      }
    }
    rest += decoder.decode();
    if (rest !== '') yield rest.replace(/\r$/, '');
  } finally {
    // A consumer that stops early (break, an error) releases the connection.
    await reader.cancel().catch(() => undefined);
  }
}

export interface ServerSentEvent {
  readonly event: string;
  readonly data: string;
}

/**
 * Server-Sent Events from a text/event-stream body (the parts of the format the coordinator sends: `event`,
 * multi-line `data`, comments as keep-alives). An event without `event:` is a `message`, as EventSource has it.
 */
export async function* serverSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  let event = '';
  let data: string[] = [];
  for await (const line of textLines(body)) {
    if (line === '') {
      if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
      event = '';
      data = [];
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
}

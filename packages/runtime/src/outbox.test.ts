import { MemoryOutbox } from './outbox';
import { UnsentResults } from './page-leave';
import { describeOutbox } from './testing/outbox-cases';

describeOutbox('MemoryOutbox', async () => new MemoryOutbox());
// The page's wrapper passes every call through to the outbox it wraps.
describeOutbox('UnsentResults over a MemoryOutbox', async () => new UnsentResults(new MemoryOutbox()));

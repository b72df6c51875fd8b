-- A trigram index of what a text search matches (path, query, headers as stored, body), so a
-- search looks words up instead of reading every body. It only narrows: every candidate is
-- checked again by the same LIKE conditions a scan uses, so a search keeps its meaning.
--
-- Contentless (the text is in `events` already) with row deletes (retention removes rows by
-- id without the text), detail=none (a word is looked up as the AND of its trigrams, so no
-- positions are needed, which keeps the index a fraction of the text's size).
CREATE VIRTUAL TABLE events_fts USING fts5(
    doc, content = '', contentless_delete = 1, detail = none, tokenize = 'trigram'
);

-- How far the background indexer got: every event with an id up to `upto` is in the index,
-- none above it is. The migration starts it at 0, so an upgraded database is indexed behind
-- the writer while hookpit runs; a search scans the events above `upto` the old way.
CREATE TABLE events_fts_progress (
    one  INTEGER PRIMARY KEY CHECK (one = 1),
    upto INTEGER NOT NULL
);
INSERT INTO events_fts_progress (one, upto) VALUES (1, 0);

-- Every delete of an indexed event (one event, all of them, retention) takes it out of the
-- index in the same transaction.
CREATE TRIGGER events_fts_forget AFTER DELETE ON events
WHEN old.id <= (SELECT upto FROM events_fts_progress WHERE one = 1)
BEGIN
    DELETE FROM events_fts WHERE rowid = old.id;
END;

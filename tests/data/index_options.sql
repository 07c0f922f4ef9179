-- Index and constraint options the design cannot hold; each must be named in the import report
-- (by the SQL reader and the live reader alike), while the index or constraint itself is imported.
CREATE TABLE author (
    id integer PRIMARY KEY,
    email text NOT NULL UNIQUE NULLS NOT DISTINCT,
    name text NOT NULL,
    born integer,
    CONSTRAINT author_name_key UNIQUE (name) INCLUDE (born) DEFERRABLE
);
CREATE TABLE tag (
    id integer PRIMARY KEY DEFERRABLE INITIALLY DEFERRED
);
CREATE TABLE book (
    id integer NOT NULL,
    title text NOT NULL,
    author_id integer REFERENCES author MATCH FULL,
    editor_id integer,
    pages integer,
    PRIMARY KEY (id) INCLUDE (title)
);
ALTER TABLE book ADD CONSTRAINT book_editor_fkey FOREIGN KEY (editor_id) REFERENCES author (id) NOT VALID;
ALTER TABLE book ADD CONSTRAINT book_pages_check CHECK (pages > 0) NOT VALID;
ALTER TABLE book ADD CONSTRAINT book_deferred_fkey FOREIGN KEY (author_id) REFERENCES author (id)
    DEFERRABLE INITIALLY DEFERRED;
CREATE INDEX book_title_idx ON book (title) INCLUDE (pages);
CREATE INDEX book_sorted_idx ON book (pages DESC, title NULLS FIRST, author_id DESC NULLS LAST);
CREATE INDEX book_pattern_idx ON book (title text_pattern_ops);
CREATE UNIQUE INDEX book_pages_key_idx ON book (pages) NULLS NOT DISTINCT;
CREATE INDEX book_plain_idx ON book (pages ASC NULLS LAST, title DESC NULLS FIRST);

-- The store holds text as people typed it; renderers escape it. Titles,
-- descriptions and the timeline texts of slash commands were once stored
-- as Slack sent them, escaped (&lt; &gt; &amp;): undo that once. &amp;
-- goes last, so a typed "&lt;" (sent as "&amp;lt;") comes back as typed.
UPDATE incidents SET
    title = replace(replace(replace(title, '&lt;', '<'), '&gt;', '>'), '&amp;', '&'),
    description = replace(replace(replace(description, '&lt;', '<'), '&gt;', '>'), '&amp;', '&')
WHERE title LIKE '%&%;%' OR description LIKE '%&%;%';

UPDATE incident_events SET text = replace(replace(replace(text, '&lt;', '<'), '&gt;', '>'), '&amp;', '&')
WHERE kind IN ('declared', 'status_update', 'mitigated', 'resolved', 'reopened', 'note') AND text LIKE '%&%;%';

-- Which tool made a request, and in which ClawBox agent session: set from the headers ClawBox
-- gives the agents it runs (`x-clawbox-client`, `x-clawbox-agent-session`), so a turn's model
-- calls can be found. NULL for requests from anything else.
ALTER TABLE requests ADD COLUMN client TEXT;
ALTER TABLE requests ADD COLUMN agent_session TEXT;
CREATE INDEX idx_requests_agent_session ON requests(agent_session) WHERE agent_session IS NOT NULL;

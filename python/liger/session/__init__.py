"""The interactive Session: its public API (``api``), engine state (``engine``) and its edit
reports and table views (``views``)."""

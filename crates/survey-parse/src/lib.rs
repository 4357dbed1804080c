//! Reading returned questionnaires (xlsx and JSON) into one checked dataset.

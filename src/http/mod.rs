//! What the API and the portal share about HTTP: the request id, the client's address, sending
//! files, paging parameters, and the one mapping from a service error to what a person is told.
//! Both `api/` and `web/` import from here; neither imports the other.

pub mod client;
pub mod download;
pub mod failure;
pub mod paging;
pub mod request_id;
pub mod upload;

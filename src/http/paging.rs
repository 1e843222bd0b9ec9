//! Keyset paging from the query string: `?limit=&cursor=`. A handler that pages and takes nothing
//! else from the query takes a `PageRequest` argument (documented as `PageParams`); a query with
//! more fields keeps `limit` and `cursor` among them (serde cannot flatten numbers out of a query
//! string) and turns into a `PageRequest` with `From`. Either way a malformed limit is the query
//! string's 400, and an out-of-range limit or a cursor the list did not give out the service's 422.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::services::page::PageRequest;

/// `?limit=&cursor=`. Documented in the query (no `web::Query` argument tells utoipa so), and
/// nullable as every other optional query parameter of the API is.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200, nullable)]
    pub limit: Option<i64>,
    #[param(nullable)]
    pub cursor: Option<String>,
}

impl From<PageParams> for PageRequest {
    fn from(p: PageParams) -> PageRequest {
        PageRequest {
            limit: p.limit,
            cursor: p.cursor,
        }
    }
}

/// Read through `web::Query`, so the application's `QueryConfig` words a malformed query string.
impl FromRequest for PageRequest {
    type Error = actix_web::Error;
    type Future = Ready<Result<PageRequest, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let query = web::Query::<PageParams>::from_request(req, payload).into_inner();
        ready(query.map(|q| q.into_inner().into()))
    }
}

//! `GET /api/export?q&format=jsonl|har`: every event the search matches, newest first, as a
//! file. It streams: a task pages through the store and hands the client one event at a time,
//! so an export of any size costs one page of memory.

use bytes::Bytes;
use http::{HeaderValue, StatusCode, Uri, header};
use hyper::Response;

use super::Body;
use super::routes::{ApiError, ApiResult};
use crate::app::App;
use crate::archive::{Format, har, jsonl};
use crate::store::model::{EventFilter, ListQuery};

/// Events read from the store per page.
const EXPORT_PAGE: u32 = 100;

/// `GET /api/export`.
pub async fn export(app: &App, uri: &Uri) -> ApiResult {
    let mut filter = EventFilter::default();
    let mut format = Format::Jsonl;
    for (k, v) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        match &*k {
            "q" => super::api::parse_search(&v, &mut filter).map_err(ApiError::BadRequest)?,
            "format" => {
                format = Format::parse(&v).ok_or_else(|| {
                    ApiError::BadRequest(format!("format {v:?} is neither jsonl nor har"))
                })?
            }
            _ => {}
        }
    }
    let (tx, body) = Body::channel();
    let app = app.clone();
    tokio::spawn(async move {
        let stopped = app.stopped();
        tokio::select! {
            result = write(&app, filter, format, &tx) => {
                if let Err(e @ ExportError::Store(_)) = result {
                    tracing::error!("export cut short: {e}");
                    let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                }
            }
            _ = stopped => {
                let _ = tx.send(Err(std::io::Error::other("hookpit is stopping"))).await;
            }
        }
    });
    let mut resp = Response::new(body);
    *resp.status_mut() = StatusCode::OK;
    let (extension, content_type) = match format {
        Format::Jsonl => ("jsonl", format.content_type()),
        Format::Har => ("har", format.content_type()),
    };
    // The body is the file; hyper frames it chunked, as its length is not known yet.
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!(
            "attachment; filename=\"hookpit-export.{extension}\""
        ))
        .expect("ascii header value"),
    );
    Ok(resp)
}

/// Why an export stopped before its end.
#[derive(Debug, thiserror::Error)]
enum ExportError {
    /// The store failed mid-way.
    #[error("storage error: {0}")]
    Store(#[from] crate::store::StoreError),
    /// The client went away; nobody is left to tell.
    #[error("the client closed the connection")]
    Gone,
}

/// Pages through the matching events, newest first, sending each as a line or an entry.
async fn write(
    app: &App,
    filter: EventFilter,
    format: Format,
    tx: &tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
) -> Result<(), ExportError> {
    let send = |chunk: Vec<u8>| async move {
        tx.send(Ok(Bytes::from(chunk)))
            .await
            .map_err(|_| ExportError::Gone)
    };
    let base_url = format!("http://{}", app.bound.capture);
    if format == Format::Har {
        send(har::head()).await?;
    }
    let mut before = None;
    let mut first = true;
    loop {
        let page = app
            .store
            .list(ListQuery {
                filter: filter.clone(),
                limit: EXPORT_PAGE,
                before,
            })
            .await?;
        for summary in &page.events {
            // Deleted since the page was read: it is no longer there to export.
            let Some(event) = app.store.get(summary.id).await? else {
                continue;
            };
            let chunk = match format {
                Format::Jsonl => jsonl::line(&event),
                Format::Har => {
                    let mut chunk = if first { Vec::new() } else { b",".to_vec() };
                    serde_json::to_writer(&mut chunk, &har::entry(&event, &base_url))
                        .expect("entries serialize");
                    chunk
                }
            };
            first = false;
            send(chunk).await?;
        }
        match page.next_before {
            Some(b) => before = Some(b),
            None => break,
        }
    }
    if format == Format::Har {
        send(har::tail().to_vec()).await?;
    }
    Ok(())
}

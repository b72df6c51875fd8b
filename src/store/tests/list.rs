//! The event list: keyset paging, filters and text search.

use std::collections::BTreeSet;

use super::*;

#[tokio::test]
async fn keyset_paging_has_no_overlap_and_no_gap() {
    let store = mem();
    let mut all = Vec::new();
    for i in 0..25 {
        all.push(
            store
                .insert_event(event(&format!("/p{i}"), b""))
                .await
                .expect("insert")
                .id,
        );
    }
    let mut seen = Vec::new();
    let mut pages = Vec::new();
    let mut before = None;
    loop {
        let q = ListQuery {
            filter: EventFilter::default(),
            limit: 10,
            before,
        };
        let page = store.list(q).await.expect("list");
        pages.push(page.events.len());
        seen.extend(page.events.iter().map(|e| e.id));
        match page.next_before {
            Some(b) => {
                assert_eq!(Some(b), page.events.last().map(|e| e.id));
                before = Some(b);
            }
            None => break,
        }
    }
    assert_eq!(pages, vec![10, 10, 5]);
    all.reverse();
    assert_eq!(seen, all, "newest first, every id once");

    // Exactly a full last page: no phantom next page.
    let q = ListQuery {
        filter: EventFilter::default(),
        limit: 5,
        before: Some(all[19]),
    };
    let page = store.list(q).await.expect("list");
    assert_eq!(page.events.len(), 5);
    assert_eq!(page.next_before, None);

    // The limit is clamped to at least 1.
    let page = store
        .list(query(EventFilter::default(), 0))
        .await
        .expect("list");
    assert_eq!(page.events.len(), 1);
    assert_eq!(page.next_before, Some(all[0]));
}

#[tokio::test]
async fn each_filter_keeps_only_its_events() {
    let store = mem();
    let mut a = event("/cyberdesk/run", b"{}");
    a.verification = verdict(Status::Valid);
    a.extracted.event_type = Some("run_complete".into());
    a.extracted.run_status = Some("success".into());
    a.msg_id = Some("m1".into());
    let mut b = event("/cyberdesk_x", b"{}");
    b.method = "GET".into();
    b.source = Source::Relay;
    b.verification = verdict(Status::Invalid);
    b.extracted.event_type = Some("downed_machines".into());
    b.msg_id = Some("m2".into());
    let mut c = event("/cyberdeskXy", b"{}");
    c.method = "PUT".into();
    c.source = Source::Send;
    let d = event("/Cyberdesk/upper", b"{}");
    let mut ids_of = Vec::new();
    for e in [a, b, c, d] {
        ids_of.push(store.insert_event(e).await.expect("insert").id);
    }
    let [a, b, c, d] = <[i64; 4]>::try_from(ids_of).expect("four ids");
    let f = |edit: fn(&mut EventFilter)| {
        let mut filter = EventFilter::default();
        edit(&mut filter);
        filter
    };
    let cases: Vec<(EventFilter, Vec<i64>)> = vec![
        (f(|f| f.verification = Some("valid".into())), vec![a]),
        (f(|f| f.verification = Some("unsigned".into())), vec![d, c]),
        (
            f(|f| f.event_type = Some("downed_machines".into())),
            vec![b],
        ),
        (
            f(|f| f.path_prefix = Some("/cyberdesk".into())),
            vec![c, b, a],
        ),
        (f(|f| f.path_prefix = Some("/cyberdesk_".into())), vec![b]),
        (f(|f| f.path_prefix = Some("/Cyberdesk".into())), vec![d]),
        (f(|f| f.path_prefix = Some("%".into())), vec![]),
        (f(|f| f.run_status = Some("success".into())), vec![a]),
        (f(|f| f.method = Some("GET".into())), vec![b]),
        (f(|f| f.source = Some("send".into())), vec![c]),
        (f(|f| f.msg_id = Some("m2".into())), vec![b]),
        (
            f(|f| {
                f.path_prefix = Some("/cyberdesk".into());
                f.method = Some("POST".into());
            }),
            vec![a],
        ),
        (
            f(|f| {
                f.method = Some("POST".into());
                f.source = Some("relay".into());
            }),
            vec![],
        ),
        (EventFilter::default(), vec![d, c, b, a]),
    ];
    for (filter, want) in cases {
        let got = ids(&store, filter.clone()).await;
        assert_eq!(got, want, "filter {filter:?}");
    }
}

#[tokio::test]
async fn text_search_reads_path_query_headers_and_body_only() {
    let store = mem();
    let mut in_header = event("/h", b"nothing here");
    in_header
        .headers
        .push(("X-Trace".into(), b"Needle-In-Header".to_vec()));
    in_header
        .headers
        .push(("X-Raw".into(), vec![0xff, b'q', b'u', b'o', b't', b'e']));
    let in_body = event("/b", br#"{"note":"a HAYSTACK word"}"#);
    let percent = event("/x", b"100% sure");
    let no_percent = event("/percent", b"1000 sure");
    let mut in_query = event("/q", b"");
    in_query.query = "user=zed".into();
    let mut quoted = event("/j", b"");
    quoted
        .headers
        .push(("X-Json".into(), br#"say "hi""#.to_vec()));
    let mut elsewhere = event("/e", b"");
    elsewhere.remote_addr = Some("10.9.8.7:1".into());
    elsewhere.extracted.event_type = Some("hidden_type".into());
    let mut id = Vec::new();
    for e in [
        in_header, in_body, percent, no_percent, in_query, quoted, elsewhere,
    ] {
        id.push(store.insert_event(e).await.expect("insert").id);
    }
    let search = |words: &[&str]| EventFilter {
        text: words.iter().map(|w| w.to_string()).collect(),
        ..Default::default()
    };
    let cases: Vec<(&[&str], Vec<i64>)> = vec![
        (&["needle-in-header"], vec![id[0]]),
        (&["haystack"], vec![id[1]]),
        (&["Haystack", "NOTE"], vec![id[1]]),
        (&["haystack", "needle"], vec![]),
        (&["100%"], vec![id[2]]),
        (&["%"], vec![id[2]]),
        (&["0_"], vec![]),
        (&["zed"], vec![id[4]]),
        (&["percent"], vec![id[3]]),
        (&[r#""hi""#], vec![id[5]]),
        (&["10.9.8.7"], vec![]),
        (&["hidden_type"], vec![]),
        (&["  "], id.iter().rev().copied().collect()),
    ];
    for (words, want) in cases {
        assert_eq!(ids(&store, search(words)).await, want, "search {words:?}");
    }
    let all: BTreeSet<i64> = ids(&store, search(&["sure"])).await.into_iter().collect();
    assert_eq!(all, BTreeSet::from([id[2], id[3]]));
}

#[tokio::test]
async fn a_search_split_over_two_scans_pages_exactly_like_one() {
    let store = mem();
    let mut matching = Vec::new();
    for i in 0..97 {
        // Matches cluster and thin out, so the two halves of the id range hold different counts.
        let hit = i % 3 == 0 || (40..55).contains(&i);
        let body = if hit { "a needle here" } else { "hay" };
        let id = store
            .insert_event(event(&format!("/s{i}"), body.as_bytes()))
            .await
            .expect("insert")
            .id;
        if hit {
            matching.push(id);
        }
    }
    matching.reverse();
    for limit in [1, 2, 7, 30, 500] {
        for start in [None, Some(matching[3]), Some(matching[matching.len() - 2])] {
            let mut seen = Vec::new();
            let mut before = start;
            loop {
                let q = ListQuery {
                    filter: EventFilter {
                        text: vec!["NEEDLE".into()],
                        ..Default::default()
                    },
                    limit,
                    before,
                };
                let page = store.list(q).await.expect("search");
                assert!(page.events.len() <= limit as usize);
                seen.extend(page.events.iter().map(|e| e.id));
                match page.next_before {
                    Some(b) => before = Some(b),
                    None => break,
                }
            }
            let expected: Vec<i64> = matching
                .iter()
                .copied()
                .filter(|id| start.is_none_or(|s| *id < s))
                .collect();
            assert_eq!(seen, expected, "limit {limit}, from {start:?}");
        }
    }
}

#[tokio::test]
async fn provider_filter_reads_the_verdict_and_rows_show_it() {
    let store = mem();
    let mut ids = Vec::new();
    for provider in [Some("shopify"), Some("slack"), None, Some("shopify")] {
        let mut e = event("/p", b"");
        e.verification.provider = provider.map(str::to_string);
        ids.push(store.insert_event(e).await.expect("insert").id);
    }
    let shopify = EventFilter {
        provider: Some("shopify".into()),
        ..Default::default()
    };
    let page = store.list(query(shopify, 10)).await.expect("list");
    let got: Vec<i64> = page.events.iter().map(|e| e.id).collect();
    assert_eq!(got, [ids[3], ids[0]]);
    assert!(
        page.events
            .iter()
            .all(|e| e.verification.provider.as_deref() == Some("shopify"))
    );
    let all = store
        .list(query(EventFilter::default(), 10))
        .await
        .expect("list");
    assert_eq!(all.events[1].verification.provider, None, "unsigned");
}

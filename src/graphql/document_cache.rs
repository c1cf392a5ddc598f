//! Documents the process has parsed and checked, remembered by their text.
//!
//! A client (the web UI, a script, an agent) sends the same few documents over and over
//! with different variables; lexing, checking and parsing each again cost about a tenth of
//! a small query's CPU. A document is remembered only once it parsed and passed the
//! document limits, which are fixed for the process, so a remembered text needs neither
//! again. The cache is bounded by the total length of the texts it holds, so many distinct
//! documents only evict each other.

use std::sync::Arc;

use async_graphql::parser::types::ExecutableDocument;

/// Total bytes of document text remembered; a parsed document takes some ten to twenty
/// times its text in memory, so this holds the working set of any real client mix within a
/// few MiB.
const TEXT_CAPACITY: u64 = 256 * 1024;
/// The number of documents the cache is sized for.
const ESTIMATED_DOCUMENTS: usize = 256;
/// What an entry costs besides its text (the map's slot, the parsed nodes' headers).
const ENTRY_OVERHEAD: u64 = 256;

/// Weighs an entry by its text.
#[derive(Clone)]
struct TextWeight;

impl quick_cache::Weighter<String, Arc<ExecutableDocument>> for TextWeight {
    fn weight(&self, text: &String, _: &Arc<ExecutableDocument>) -> u64 {
        u64::try_from(text.len())
            .unwrap_or(u64::MAX)
            .saturating_add(ENTRY_OVERHEAD)
    }
}

/// Parsed, checked documents by text.
pub struct DocumentCache {
    documents: quick_cache::sync::Cache<String, Arc<ExecutableDocument>, TextWeight>,
}

impl Default for DocumentCache {
    fn default() -> Self {
        Self {
            documents: quick_cache::sync::Cache::with_weighter(
                ESTIMATED_DOCUMENTS,
                TEXT_CAPACITY,
                TextWeight,
            ),
        }
    }
}

impl DocumentCache {
    /// The document `text` parses to, if it was parsed and checked before.
    pub fn get(&self, text: &str) -> Option<ExecutableDocument> {
        // The entry is shared out of the cache's lock and copied outside it.
        self.documents.get(text).map(|document| (*document).clone())
    }

    /// Remembers that `text` parses to `document`, which passed the document limits.
    pub fn insert(&self, text: String, document: ExecutableDocument) {
        self.documents.insert(text, Arc::new(document));
    }
}

#[cfg(test)]
mod tests {
    use super::{DocumentCache, TEXT_CAPACITY};

    #[test]
    fn a_remembered_text_gives_back_its_document() {
        let cache = DocumentCache::default();
        let text = "query Q { viewer { id } }";
        assert!(cache.get(text).is_none());
        let document = async_graphql::parser::parse_query(text).expect("parses");
        cache.insert(text.to_owned(), document);
        let again = cache.get(text).expect("remembered");
        assert_eq!(
            format!("{again:?}"),
            format!(
                "{:?}",
                async_graphql::parser::parse_query(text).expect("parses")
            )
        );
        assert!(cache.get("query Q { viewer { username } }").is_none());
    }

    #[test]
    fn the_texts_remembered_stay_within_the_capacity() {
        let cache = DocumentCache::default();
        // Distinct documents of 4 KiB each: far more than fit.
        let padding = "#".repeat(4096);
        for n in 0..1000 {
            let text = format!("query Q{n} {{ viewer {{ id }} }}\n{padding}");
            let document = async_graphql::parser::parse_query(&text).expect("parses");
            cache.insert(text, document);
        }
        assert!(cache.documents.weight() <= TEXT_CAPACITY);
        assert!(cache.documents.len() < 1000);
        assert!(cache.documents.len() > 10);
    }
}

//! Kompetensmäklare matching engine.
//!
//! Pure and synchronous: text normalisation (Swedish, Norwegian bokmål, English), resolution of
//! free-text labels against the competence taxonomy, inverted indexes over offers, needs and
//! contacts, and explained, deterministic scoring. It must not do I/O, spawn tasks, read the
//! clock or use randomness: "today" is passed in, readers are passed to the ESCO parsers.

pub mod catalogue;
pub mod engine;
pub mod esco;
mod fx;
pub mod geography;
pub mod normalise;
mod retrieval;
mod sorted;
pub mod taxonomy;

pub use catalogue::{
    Catalogue, CatalogueFacets, CatalogueFilter, CatalogueOrder, CataloguePage, ListedInstance,
    ListedOffer,
};
pub use engine::{
    ContactDoc, Delivery, DeliveryPreference, Demand, Engine, Evidence, Factor, InstanceDoc,
    MatchOptions, NeedDoc, OfferDoc, OfferHit, Reason, Requirement, Suggestion, SuggestionKind,
    Weights, WeightsError, offer_relevance, offer_score,
};
pub use geography::{Geography, MunicipalityGeo, Proximity, Reach};
pub use taxonomy::{
    ConceptInput, ConceptSource, FoundConcept, Label, Lang, OccupationInput, Resolution,
    ResolutionMethod, SearchMode, Taxonomy,
};

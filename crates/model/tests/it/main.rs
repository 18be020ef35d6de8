//! Integration tests of the vote rules, one module per topic.

mod audit;
mod fixtures;
mod motions;
mod reconcile;
mod reconcile_props;
mod rules;
mod secret;
mod tallies;

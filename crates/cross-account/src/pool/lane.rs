//! A lane: the one STS client (and so the one HTTP connection pool) of a source identity and
//! STS endpoint, shared by every tenant that goes through it, and the budget it spends.

use std::sync::Arc;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_types::retry::RetryConfig;
use tokio::sync::OnceCell;

use super::budget::Budget;
use crate::error::Error;
use crate::sts::{AssumeRoleInput, StsAssumer, StsSource};

/// (source profile, STS region): what one budget covers.
pub(crate) type BudgetKey = (Option<String>, Option<String>);

/// Which client a tenant uses: where its source credentials come from and which STS it calls.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct LaneKey {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
}

impl LaneKey {
    /// The budget is per source identity and STS region: two endpoints of one region (a VPC
    /// endpoint and the public one) draw on the same quota.
    pub(crate) fn budget_key(&self) -> BudgetKey {
        (self.profile.clone(), self.region.clone())
    }
}

pub(crate) struct Lane {
    pub key: LaneKey,
    pub budget: Arc<Budget>,
    client: OnceCell<(aws_sdk_sts::Client, String)>,
}

impl std::fmt::Debug for Lane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lane")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// What every lane's client is built from.
#[derive(Clone)]
pub(crate) struct ClientSource {
    pub sdk_config: Option<SdkConfig>,
    pub time_source: aws_smithy_async::time::SharedTimeSource,
    pub sleep_impl: aws_smithy_async::rt::sleep::SharedAsyncSleep,
}

impl Lane {
    pub(crate) fn new(key: LaneKey, budget: Arc<Budget>) -> Self {
        Lane {
            key,
            budget,
            client: OnceCell::new(),
        }
    }

    /// An assumer for one call over the lane's shared client (built on the first call).
    pub(crate) async fn assumer(
        &self,
        input: &AssumeRoleInput,
        source: &ClientSource,
    ) -> Result<StsAssumer, Error> {
        let (client, region) = self
            .client
            .get_or_try_init(|| self.make_client(input, source))
            .await?;
        Ok(StsAssumer::with_client(
            input.clone(),
            client.clone(),
            region.clone(),
        ))
    }

    async fn make_client(
        &self,
        input: &AssumeRoleInput,
        source: &ClientSource,
    ) -> Result<(aws_sdk_sts::Client, String), Error> {
        let config = match (&self.key.profile, &source.sdk_config) {
            (None, Some(config)) => config.clone(),
            (profile, _) => {
                let mut loader = aws_config::defaults(BehaviorVersion::latest());
                if let Some(profile) = profile {
                    loader = loader.profile_name(profile);
                }
                if let Some(region) = &self.key.region {
                    loader = loader.region(Region::new(region.clone()));
                }
                loader.load().await
            }
        };
        // The pool retries through its budget; an SDK retry would spend STS calls behind it.
        let config = config
            .into_builder()
            .retry_config(RetryConfig::disabled())
            .build();
        let template = StsAssumer::new(
            input.clone(),
            StsSource {
                sdk_config: Some(config),
                profile: None,
                credential_source: None,
                profile_files: crate::profile::SharedConfigFiles::default(),
                region: self.key.region.clone(),
                endpoint_url: self.key.endpoint_url.clone(),
                first_hop: None,
                time_source: Some(source.time_source.clone()),
                sleep_impl: Some(source.sleep_impl.clone()),
            },
        );
        let (client, region) = template.client().await?;
        Ok((client.clone(), region.clone()))
    }
}

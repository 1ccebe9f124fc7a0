//! How a store named by URL is reached: the options `backup --to URL` and `restore --from URL`
//! share, turned into a `StorageLocation`.

use shared::crd::{AzureOptions, GcsOptions, S3Options, StorageLocation};

/// Options of the object store a URL names.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct StoreFlags {
    /// Secret with the store's credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,
    /// GOOGLE_SERVICE_ACCOUNT_KEY, or AZURE_STORAGE_ACCOUNT_NAME and AZURE_STORAGE_ACCOUNT_KEY).
    #[arg(long, value_name = "SECRET")]
    credentials_secret: Option<String>,

    /// Endpoint of an S3-compatible store, e.g. https://minio.example:9000.
    #[arg(long, value_name = "URL")]
    s3_endpoint: Option<String>,

    /// Region of the S3 bucket.
    #[arg(long)]
    s3_region: Option<String>,

    /// Address the S3 bucket in the path (most self-hosted stores need it).
    #[arg(long)]
    s3_path_style: bool,

    /// Allow plain HTTP to the S3 endpoint.
    #[arg(long)]
    s3_allow_http: bool,

    /// Blob endpoint of an Azure storage account outside the public cloud (Azure Stack,
    /// national clouds, Azurite), e.g. http://azurite:10000/devstoreaccount1.
    #[arg(long, value_name = "URL")]
    azure_endpoint: Option<String>,

    /// Allow plain HTTP to the Azure endpoint.
    #[arg(long)]
    azure_allow_http: bool,

    /// Base URL of a Google Cloud Storage service other than Google's (a private endpoint,
    /// fake-gcs-server), e.g. http://fake-gcs:4443.
    #[arg(long, value_name = "URL")]
    gcs_endpoint: Option<String>,

    /// Allow plain HTTP to the GCS endpoint.
    #[arg(long)]
    gcs_allow_http: bool,
}

impl StoreFlags {
    /// The location of `url` with these options; an option group is set only when one of its
    /// flags is.
    pub fn location(&self, url: &str) -> StorageLocation {
        let s3 = (self.s3_endpoint.is_some()
            || self.s3_region.is_some()
            || self.s3_path_style
            || self.s3_allow_http)
            .then(|| S3Options {
                endpoint: self.s3_endpoint.clone(),
                region: self.s3_region.clone(),
                force_path_style: self.s3_path_style,
                allow_http: self.s3_allow_http,
            });
        let azure = (self.azure_endpoint.is_some() || self.azure_allow_http).then(|| AzureOptions {
            endpoint: self.azure_endpoint.clone(),
            allow_http: self.azure_allow_http,
        });
        let gcs = (self.gcs_endpoint.is_some() || self.gcs_allow_http)
            .then(|| GcsOptions { endpoint: self.gcs_endpoint.clone(), allow_http: self.gcs_allow_http });
        StorageLocation {
            url: url.to_string(),
            credentials_secret: self.credentials_secret.clone(),
            s3,
            azure,
            gcs,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        store: StoreFlags,
    }

    fn location(words: &[&str]) -> serde_json::Value {
        let mut all = vec!["x"];
        all.extend_from_slice(words);
        let flags = Cli::try_parse_from(all).unwrap().store;
        serde_json::to_value(flags.location("az://c/p")).unwrap()
    }

    #[test]
    fn only_the_options_given_are_set() {
        assert_eq!(location(&[]), serde_json::json!({"url": "az://c/p"}));
        assert_eq!(
            location(&[
                "--credentials-secret",
                "az",
                "--azure-endpoint",
                "http://a:10000/dev",
                "--azure-allow-http"
            ]),
            serde_json::json!({"url": "az://c/p", "credentialsSecret": "az",
                "azure": {"endpoint": "http://a:10000/dev", "allowHttp": true}})
        );
        assert_eq!(
            location(&["--gcs-endpoint", "http://fake-gcs:4443", "--gcs-allow-http"])["gcs"],
            serde_json::json!({"endpoint": "http://fake-gcs:4443", "allowHttp": true})
        );
        assert_eq!(
            location(&["--s3-region", "eu-west-1"])["s3"],
            serde_json::json!({"region": "eu-west-1", "forcePathStyle": false, "allowHttp": false})
        );
    }
}

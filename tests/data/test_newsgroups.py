import io
import tarfile
from pathlib import Path

import pytest

from mtl_pipeline.data.newsgroups import NewsgroupsDataError, read_newsgroups

POST = (
    "From: someone@example.com\nSubject: Re: engines\nOrganization: Somewhere\n\n"
    "In article <1@x> other@y writes:\n> quoted reply line\nThe real body of the post.\n\n--\nsignature\n"
)


def write_archive(path: Path, members: dict[str, str]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, text in members.items():
            payload = text.encode("latin-1")
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return path


@pytest.fixture
def small_archive(tmp_path: Path) -> Path:
    return write_archive(
        tmp_path / "small.tar.gz",
        {
            "20news-bydate-train/rec.autos/1": POST,
            "20news-bydate-train/rec.autos/2": "Subject: b\n\ncars caf\xe9",
            "20news-bydate-train/sci.med/3": "Subject: c\n\nmedicine",
            "20news-bydate-test/rec.autos/4": "Subject: d\n\nmore cars",
            "20news-bydate-test/sci.med/5": "Subject: e\n\ndoctors",
        },
    )


def test_real_archive_has_the_bydate_counts(newsgroups_archive):
    documents = read_newsgroups(newsgroups_archive)
    assert list(documents.columns) == ["doc_id", "split", "newsgroup", "text"]
    assert documents["split"].value_counts().to_dict() == {"train": 11314, "test": 7532}
    assert documents["newsgroup"].nunique() == 20
    assert documents["doc_id"].is_unique


def test_small_archive_is_read_in_order(small_archive):
    documents = read_newsgroups(small_archive)
    assert len(documents) == 5
    assert documents["doc_id"].tolist() == sorted(documents["doc_id"])
    row = documents.set_index("doc_id").loc["train/rec.autos/2"]
    assert (row.split, row.newsgroup) == ("train", "rec.autos")
    assert "café" in row.text  # latin-1 decoded


def test_extracted_folder_reads_like_the_archive(small_archive, tmp_path):
    with tarfile.open(small_archive) as tar:
        tar.extractall(tmp_path / "extracted", filter="data")
    from_folder = read_newsgroups(tmp_path / "extracted")
    from_archive = read_newsgroups(small_archive)
    assert from_folder.equals(from_archive)


def test_remove_headers_footers_quotes(small_archive):
    kept = read_newsgroups(small_archive).set_index("doc_id").loc["train/rec.autos/1", "text"]
    stripped = (
        read_newsgroups(small_archive, remove_headers_footers_quotes=True)
        .set_index("doc_id")
        .loc["train/rec.autos/1", "text"]
    )
    assert "Subject:" in kept and "> quoted" in kept and "signature" in kept
    assert "Subject:" not in stripped
    assert "> quoted" not in stripped
    assert "signature" not in stripped
    assert "The real body of the post." in stripped


def test_removal_matches_scikit_learn_order(tmp_path):
    # fetch_20newsgroups(remove=...) strips headers, then footers, then quotes; quoting first
    # would leave the blank lines of a trailing quote in place.
    post = "From: a\nSubject: s\n\nbody\n\n> quoted\n\n"
    archive = write_archive(
        tmp_path / "order.tar.gz",
        {
            "20news-bydate-train/rec.autos/1": post,
            "20news-bydate-test/rec.autos/2": "Subject: t\n\nbody",
        },
    )
    documents = read_newsgroups(archive, remove_headers_footers_quotes=True)
    assert documents.set_index("doc_id").loc["train/rec.autos/1", "text"] == "body"


def test_missing_path_names_the_file(tmp_path):
    missing = tmp_path / "nope.tar.gz"
    with pytest.raises(
        NewsgroupsDataError, match=r"nope\.tar\.gz.*does not exist.*newsgroups\.archive"
    ):
        read_newsgroups(missing, parameter="newsgroups.archive")


def test_corrupt_archive_names_the_file(tmp_path):
    corrupt = tmp_path / "corrupt.tar.gz"
    corrupt.write_bytes(b"\x1f\x8b\x08\x00 this is not really gzip data")
    with pytest.raises(NewsgroupsDataError, match=r"corrupt\.tar\.gz"):
        read_newsgroups(corrupt)


def test_archive_without_expected_folders_names_the_file(tmp_path):
    archive = write_archive(tmp_path / "other.tar.gz", {"some/other/layout.txt": "hello"})
    with pytest.raises(NewsgroupsDataError, match=r"other\.tar\.gz.*20news-bydate-train"):
        read_newsgroups(archive)


def test_archive_with_only_train_split_is_rejected(tmp_path):
    archive = write_archive(tmp_path / "half.tar.gz", {"20news-bydate-train/a/1": "x"})
    with pytest.raises(NewsgroupsDataError, match=r"half\.tar\.gz.*20news-bydate-test"):
        read_newsgroups(archive)

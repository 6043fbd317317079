from panel_desk.services import audit


def test_demo_builds(demo_db):
    assert demo_db.read(audit.verify_chain).intact

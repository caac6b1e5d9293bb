import pytest
from django.core.management import CommandError, call_command

from referrals.models import Child
from referrals.upn import make_upn
from tests.factories import ChildFactory

HEADER = "upn,legal_first_name,legal_last_name,date_of_birth,year_group,preferred_name,sex,send\n"


def upn(serial):
    return make_upn(la_code=873, establishment=8203, year=2019, serial=serial)


def write(tmp_path, text, encoding="utf-8"):
    path = tmp_path / "pupils.csv"
    path.write_bytes(text.encode(encoding))
    return path


def run_import(school, path):
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command("import_pupils", school.urn, str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_good_file_creates_updates_and_leaves_unchanged(world, tmp_path):
    ChildFactory(
        school=world.northfield,
        upn=upn(1),
        legal_first_name="Jade",
        legal_last_name="Turner",
        year_group="9",
        sex="F",
    )
    ChildFactory(
        school=world.northfield,
        upn=upn(2),
        legal_first_name="Ben",
        legal_last_name="Cole",
        date_of_birth="2011-05-05",
        year_group="9",
        sex="M",
    )
    path = write(
        tmp_path,
        HEADER
        + f"{upn(1)},Jade,Turner,14/03/2012,9,,F,\n"  # unchanged
        + f"{upn(2)},Ben,Cole,05/05/2011,Year 10,,M,none\n"  # moved up a year
        + f"{upn(3).lower()},Nia,Evans,2013-09-30,Y8,Nee,F,sen_support\n"  # new
        + f"{upn(4)},Zoë,Ó Briain,01/01/2014,7,,,\n",  # new, accented names
    )

    out, _ = run_import(world.northfield, path)

    assert "4 pupils" in out
    assert "2 created, 1 updated, 1 unchanged" in out
    assert Child.objects.get(upn=upn(2)).year_group == "10"
    nia = Child.objects.get(upn=upn(3))
    assert (nia.preferred_name, nia.send, str(nia.date_of_birth)) == ("Nee", "sen_support", "2013-09-30")
    assert Child.objects.get(upn=upn(4)).legal_last_name == "Ó Briain"


def test_a_second_import_of_the_same_file_changes_nothing(world, tmp_path):
    path = write(tmp_path, HEADER + f"{upn(1)},Jade,Turner,14/03/2012,9,,F,\n")
    run_import(world.northfield, path)

    out, _ = run_import(world.northfield, path)

    assert "0 created, 0 updated, 1 unchanged" in out


def test_a_file_with_bad_rows_imports_nothing_and_names_every_bad_row(world, tmp_path):
    path = write(
        tmp_path,
        HEADER
        + f"{upn(1)},Jade,Turner,14/03/2012,9,,F,\n"  # line 2: good
        + f"{upn(2)},,Cole,05/05/2011,10,,M,\n"  # line 3: missing first name
        + "B123456789012,Nia,Evans,30/09/2013,8,,F,\n"  # line 4: bad check letter
        + f"{upn(1)},Jay,Turner,14/03/2012,9,,M,\n"  # line 5: duplicate UPN
        + f"{upn(5)},Sam,Hill,31/02/2012,9,,M,\n"  # line 6: impossible date
        + f"{upn(6)},Ali,Khan,01/01/2012,Year 15,,M,\n",  # line 7: unknown year group
    )

    with pytest.raises(CommandError, match="Nothing imported: 5 of 6 rows have problems"):
        run_import(world.northfield, path)

    assert Child.objects.count() == 0


def test_every_bad_row_is_printed_with_line_column_and_reason(world, tmp_path, capsys):
    from io import StringIO

    path = write(
        tmp_path,
        HEADER
        + f"{upn(2)},,Cole,05/05/2011,10,,M,\n"
        + "B123456789012,Nia,Evans,30/09/2013,8,,F,\n"
        + f"{upn(2)},Jay,Turner,14/03/2012,9,,M,\n"
        + f"{upn(5)},Sam,Hill,31/02/2012,9,,M,\n"
        + f"{upn(6)},Ali,Khan,01/01/2012,Year 15,,M,\n"
        + f"{upn(7)},Eve,Moss,01/01/2099,9,,F,\n",
    )
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("import_pupils", world.northfield.urn, str(path), stderr=err)

    lines = err.getvalue().splitlines()
    assert "line 2, legal_first_name: missing name" in lines
    assert "line 3, upn: invalid UPN B123456789012: it has the wrong check letter" in lines
    assert f"line 4, upn: duplicate UPN {upn(2)}, also on line 2" in lines
    assert "line 5, date_of_birth: impossible date of birth '31/02/2012': use DD/MM/YYYY" in lines
    assert "line 6, year_group: unknown year group 'Year 15'" in lines
    assert "line 7, date_of_birth: impossible date of birth 01/01/2099: it is in the future" in lines


def test_a_file_in_the_wrong_encoding_is_refused(world, tmp_path):
    path = write(tmp_path, HEADER + f"{upn(1)},Zoë,Turner,14/03/2012,9,,F,\n", encoding="latin-1")

    with pytest.raises(CommandError, match=r"not UTF-8 text \(first unreadable character on line 2\)"):
        run_import(world.northfield, path)

    assert Child.objects.count() == 0


@pytest.mark.parametrize(("text", "message"), [("", "The file is empty."), (HEADER, "header row but no pupils")])
def test_an_empty_file_is_refused(world, tmp_path, text, message):
    with pytest.raises(CommandError, match=message):
        run_import(world.northfield, write(tmp_path, text))

    assert Child.objects.count() == 0


def test_a_file_without_the_required_columns_is_refused(world, tmp_path):
    with pytest.raises(CommandError, match="lacks the columns: upn, date_of_birth"):
        run_import(world.northfield, write(tmp_path, "legal_first_name,legal_last_name,year_group\nA,B,9\n"))


def test_an_unknown_school_is_refused(world, tmp_path):
    with pytest.raises(CommandError, match="No school has the URN"):
        call_command("import_pupils", "999999", str(write(tmp_path, HEADER)))


def test_the_help_lists_the_columns(capsys):
    with pytest.raises(SystemExit):
        call_command("import_pupils", "--help")

    help_text = capsys.readouterr().out
    for column in ("upn", "legal_first_name", "legal_last_name", "date_of_birth", "year_group", "CSV UTF-8"):
        assert column in help_text


def test_a_large_file_imports_with_a_progress_bar(world, tmp_path):
    from io import StringIO

    rows = "".join(f"{upn(n)},Pupil,Number{n},01/01/2012,9,,,\n" for n in range(600))
    err = StringIO()

    call_command(
        "import_pupils", world.northfield.urn, str(write(tmp_path, HEADER + rows)), stdout=StringIO(), stderr=err
    )

    assert Child.objects.filter(school=world.northfield).count() == 600
    assert "600/600" in err.getvalue()

// lockhound-expect: data-race count=1 variable=create_stats var_kind=heap functions=record_hit
/* lockhound-build: c++ clang */
/* A C++ class whose member function updates a data member with no lock,
 * called on one heap object from two std::threads.  The report names the
 * object by its allocation site (create_stats, operator new) and the member
 * function on both sides. */
#include <cstdio>
#include <thread>

class Stats {
public:
	void record_hit() { hits_++; }
	long hits() const { return hits_ + requests_; }

private:
	long requests_ = 0;
	long hits_ = 0;
};

static Stats *create_stats()
{
	return new Stats();
}

static void serve(Stats *s)
{
	for (int i = 0; i < 500; i++)
		s->record_hit();
}

int main()
{
	Stats *s = create_stats();
	std::thread a(serve, s), b(serve, s);
	a.join();
	b.join();
	std::printf("hits = %ld\n", s->hits());
	delete s;
	return 0;
}
